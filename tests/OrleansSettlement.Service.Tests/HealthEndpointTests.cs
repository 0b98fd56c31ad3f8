using System.Net;
using System.Text.Json;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests;

[Collection(ServiceCollection.Name)]
public sealed class HealthEndpointTests(ServiceFixture service)
{
    [Fact]
    public async Task Live_ProcessUp_Returns200()
    {
        using var response = await service.Api.GetAsync(new Uri("/health/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ready_StorageAndClusterUp_Returns200WithEachCheckHealthy()
    {
        using var response = await service.Api.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var checks = json.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(check => check.GetProperty("name").GetString()!, check => check.GetProperty("status").GetString());
        Assert.Equal("Healthy", checks["storage"]);
        Assert.Equal("Healthy", checks["cluster"]);
        var cluster = json.RootElement.GetProperty("checks").EnumerateArray().Single(check => check.GetProperty("name").GetString() == "cluster");
        Assert.Equal(1, cluster.GetProperty("data").GetProperty("activeSilos").GetInt32());
    }

    [Fact]
    public async Task Ready_Answer_NeverHoldsTheStorageKey()
    {
        using var response = await service.Api.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain(AzuriteProcess.AccountKey, body, StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey", body, StringComparison.OrdinalIgnoreCase);
    }
}
