using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Api;
using OrleansSettlement.Api.Endpoints;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Protocol;
using OrleansSettlement.Service.Tests.Api;
using OrleansSettlement.Service.Tests.Api.Hostile;
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

/// <summary>
/// The OpenAPI document is the API reference, so it must cover what the running app serves: every endpoint of its
/// endpoint data source, each partner route's access, security scheme and headers, every problem code a route can
/// return (with an example problem), request and answer examples, and a catalog of every problem code there is
/// (<see cref="ProtocolErrorCode"/> and the API's own 503). Adding a route, or a code, without documenting it fails here.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed class OpenApiCoverageTests(ApiFixture api)
{
    [Fact]
    public async Task Document_ListsEveryEndpointTheAppServes()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        var endpoints = ApiRoutes.Endpoints(api.ApiServices)
            .Where(e => e.Endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .ToList();

        Assert.NotEmpty(endpoints);
        var missing = endpoints
            .Where(e => !(paths.TryGetProperty(ApiRoutes.PatternOf(e.Endpoint), out var path) && path.TryGetProperty(e.Method.ToLowerInvariant(), out _)))
            .Select(e => $"{e.Method} {ApiRoutes.PatternOf(e.Endpoint)}")
            .ToList();
        Assert.True(missing.Count == 0, "endpoints missing from /openapi/v1.json: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Document_EveryPartnerOperation_HasAccessSecurityHeadersProblemExamplesAndBodyExamples()
    {
        var document = await DocumentAsync();
        var routes = ApiRoutes.Read(api.ApiServices, document).Where(r => r.Doc is not null).ToList();
        var failures = new List<string>();
        Assert.NotEmpty(routes);
        foreach (var route in routes)
        {
            var operation = document.GetProperty("paths").GetProperty(route.Pattern).GetProperty(route.Method.ToLowerInvariant());
            var doc = route.Doc!;
            void Check(bool ok, string what)
            {
                if (!ok)
                {
                    failures.Add($"{route}: {what}");
                }
            }

            Check(operation.TryGetProperty("x-access", out var access) && access.GetString() == doc.Access.ToString(), "x-access");
            var listed = operation.TryGetProperty("x-problem-codes", out var codes) ? codes.EnumerateArray().Select(c => c.GetString()!).ToHashSet() : [];
            Check(listed.SetEquals(doc.ProblemCodes), "x-problem-codes differ from the route's RouteDoc");

            var schemes = operation.TryGetProperty("security", out var security)
                ? security.EnumerateArray().SelectMany(requirement => requirement.EnumerateObject().Select(p => p.Name)).ToHashSet()
                : [];
            var bearer = doc.Access is Access.Admin or Access.Operator or Access.Store or Access.StoreOrWallet;
            var signed = doc.Access is Access.Wallet or Access.WalletSelf or Access.NewWallet or Access.StoreOrWallet;
            Check(schemes.Contains("bearer") == bearer, "the bearer security scheme");
            Check(schemes.Contains("walletSignature") == signed, "the walletSignature security scheme");

            var headers = operation.TryGetProperty("parameters", out var parameters)
                ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "header").ToDictionary(p => p.GetProperty("name").GetString()!, p => p.TryGetProperty("required", out var r) && r.GetBoolean())
                : [];
            Check(!route.IsPost || headers.GetValueOrDefault("Idempotency-Key"), "a required Idempotency-Key header");
            Check(!signed || (headers.ContainsKey("Signature-Input") && headers.ContainsKey("Signature")), "the Signature-Input and Signature headers");
            Check(!(signed && route.IsPost) || headers.ContainsKey("Content-Digest"), "the Content-Digest header");

            var responses = operation.GetProperty("responses");
            foreach (var code in doc.ProblemCodes)
            {
                var status = Problems.StatusOf(ProblemCodes(code)).ToString(CultureInfo.InvariantCulture);
                var example = responses.TryGetProperty(status, out var response)
                    && response.TryGetProperty("content", out var content) && content.TryGetProperty(Problems.MediaType, out var media)
                    && media.TryGetProperty("examples", out var examples) && examples.TryGetProperty(code, out _);
                Check(example, $"an example problem for {code} under {status} {Problems.MediaType}");
            }

            Check(responses.TryGetProperty("503", out var unavailable) && unavailable.TryGetProperty("headers", out var retry) && retry.TryGetProperty("Retry-After", out _), "503 with Retry-After");
            if (route.HasBody)
            {
                // An empty-object body (a join's `{}`) has no example to show: Microsoft.OpenApi omits an empty object
                // example when it writes the document, so only a schema without properties may go without one.
                var emptyObject = route.RequestSchema is { } schema && schema["properties"] is null && (string?)schema["type"] == "object";
                Check(route.RequestSchema is not null && (route.RequestExample is not null || emptyObject), "a request body schema and example");
            }

            var ok = responses.EnumerateObject().FirstOrDefault(r => r.Name.StartsWith('2'));
            Check(ok.Value.ValueKind == JsonValueKind.Object && ok.Value.TryGetProperty("content", out var answer)
                && answer.EnumerateObject().All(m => m.Value.TryGetProperty("example", out _)), "an example answer");
        }

        Assert.True(failures.Count == 0, "the document misses:\n" + string.Join('\n', failures));
    }

    [Fact]
    public async Task Document_EveryProblemCode_HasACatalogEntryAndAnExampleProblem()
    {
        var document = await DocumentAsync();
        var catalog = document.GetProperty("x-problem-catalog").EnumerateArray().ToDictionary(e => e.GetProperty("code").GetString()!);
        var examples = document.GetProperty("components").GetProperty("examples");
        var expected = Enum.GetValues<ProtocolErrorCode>().Select(code => (Code: ProtocolError.ToWireCode(code), Status: Problems.StatusOf(code)))
            .Append(("service_unavailable", 503))
            .ToList();
        var failures = new List<string>();
        foreach (var (code, status) in expected)
        {
            if (!catalog.TryGetValue(code, out var entry) || entry.GetProperty("status").GetInt32() != status
                || entry.GetProperty("meaning").ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(entry.GetProperty("meaning").GetString()))
            {
                failures.Add($"{code}: no catalog entry with status {status} and a meaning (api/OpenApi/ProblemCatalog.cs, docs/protocol.md section 4)");
                continue;
            }

            if (!examples.TryGetProperty("problem-" + code, out var example) || !example.TryGetProperty("value", out var value)
                || value.GetProperty("status").GetInt32() != status || value.GetProperty("type").GetString() != Problems.TypeBase + code
                || string.IsNullOrWhiteSpace(value.GetProperty("detail").GetString()))
            {
                failures.Add($"{code}: no example problem in components.examples");
            }
        }

        var used = document.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject())
            .Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("x-problem-codes", out _))
            .SelectMany(o => o.Value.GetProperty("x-problem-codes").EnumerateArray().Select(c => c.GetString()!));
        failures.AddRange(used.Distinct().Where(code => !catalog.ContainsKey(code)).Select(code => $"{code}: used by an operation but not in the catalog"));
        Assert.Equal(expected.Count, catalog.Count);
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task Document_SecuritySchemes_BearerTokensAndWalletSignatures()
    {
        var schemes = (await DocumentAsync()).GetProperty("components").GetProperty("securitySchemes");

        Assert.Equal("http", schemes.GetProperty("bearer").GetProperty("type").GetString());
        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("header", schemes.GetProperty("walletSignature").GetProperty("in").GetString());
        Assert.Contains("RFC 9421", schemes.GetProperty("walletSignature").GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Production", false)]
    public async Task Reference_ScalarPage_ServedInDevelopmentOnly(string environment, bool served)
    {
        await using var app = ApiHost.Build(["--environment", environment], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Storage"] = api.StorageConnectionString,
                ["Orleans:ClusterId"] = api.ClusterId,
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
        });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = ServiceFixture.AddressOf(app), Timeout = TimeSpan.FromSeconds(30) };

        using var page = await http.GetAsync(new Uri("/scalar", UriKind.Relative));
        var html = await page.Content.ReadAsStringAsync();
        using var script = await http.GetAsync(new Uri("/scalar/scalar.js", UriKind.Relative));
        await app.StopAsync();

        if (served)
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
            Assert.Contains("OrleansSettlement API", html, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
            Assert.Equal("application/problem+json", page.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.NotFound, script.StatusCode);
        }
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var response = await api.Http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static ProtocolErrorCode ProblemCodes(string wireCode) =>
        Enum.GetValues<ProtocolErrorCode>().Single(code => ProtocolError.ToWireCode(code) == wireCode);
}
