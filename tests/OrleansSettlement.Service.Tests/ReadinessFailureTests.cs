using System.Net;
using System.Text.Json;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests;

/// <summary>An API whose storage is unreachable starts, stays live, and says it is not ready.</summary>
public sealed class ReadinessFailureTests
{
    [Fact]
    public async Task Ready_StorageUnreachable_Returns503NamingTheFailedChecks()
    {
        // A port nothing listens on: found free, then released.
        var deadPorts = FreePorts.Take(3);
        var connectionString = AzuriteProcess.ConnectionStringFor(deadPorts[0], deadPorts[1], deadPorts[2]);
        await using var app = ServiceFixture.BuildApi(connectionString, "unreachable-" + Guid.NewGuid().ToString("N")[..8]);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = ServiceFixture.AddressOf(app), Timeout = TimeSpan.FromSeconds(30) };

        using var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await ready.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Unhealthy", json.RootElement.GetProperty("status").GetString());
        var checks = json.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(check => check.GetProperty("name").GetString()!, check => check.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", checks["storage"]);
        Assert.Equal("Unhealthy", checks["cluster"]);
        Assert.DoesNotContain(AzuriteProcess.AccountKey, body, StringComparison.Ordinal);

        await app.StopAsync();
    }
}
