using System.Net;
using System.Text.Json;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests;

[Collection(ServiceCollection.Name)]
public sealed class ProblemDetailsTests(ServiceFixture service)
{
    [Fact]
    public async Task UnknownRoute_Get_Returns404ProblemJson()
    {
        using var response = await service.Api.GetAsync(new Uri("/no/such/route", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(404, json.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("title").GetString()));
    }

    [Fact]
    public async Task UnhandledException_Get_Returns500ProblemJsonWithoutInternals()
    {
        using var response = await service.Api.GetAsync(new Uri(ServiceFixture.ThrowingPath, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(500, json.RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain(ServiceFixture.SecretExceptionMessage, body, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        Assert.False(json.RootElement.TryGetProperty("exception", out _));
    }

    [Theory]
    [InlineData(ServiceFixture.UnavailablePath)]
    [InlineData(ServiceFixture.StorageUnavailablePath)]
    public async Task ClusterOrStorageUnavailableDuringACall_Get_Returns503WithRetryAfterAndNoInternals(string path)
    {
        using var response = await service.Api.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(503, json.RootElement.GetProperty("status").GetInt32());
        Assert.EndsWith("service_unavailable", json.RootElement.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(ServiceFixture.SecretExceptionMessage, body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
    }
}
