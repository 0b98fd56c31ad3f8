using System.Net;
using System.Text.Json;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests;

[Collection(ServiceCollection.Name)]
public sealed class OpenApiDocumentTests(ServiceFixture service)
{
    [Fact]
    public async Task Document_Get_IsJsonWithOpenApiVersionAndHealthPaths()
    {
        using var response = await service.Api.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.StartsWith("3.", json.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = json.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/health/live", out _), "the document lists /health/live");
        Assert.True(paths.TryGetProperty("/health/ready", out _), "the document lists /health/ready");
    }
}
