using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using OrleansSettlement.Api.Endpoints;

namespace OrleansSettlement.Service.Tests.Api.Hostile;

/// <summary>
/// One route of the running API as its endpoint data source has it: method, pattern, the <see cref="RouteDoc"/> its
/// builder attached (access and problem codes), the request body type, and what the OpenAPI document says of it (its
/// query parameters, the request example and the request schema).
/// </summary>
public sealed record ApiRoute(
    string Method,
    string Pattern,
    string? Name,
    RouteDoc? Doc,
    Type? RequestType,
    IReadOnlyList<string> PathParameters,
    IReadOnlyList<string> QueryParameters,
    JsonNode? RequestExample,
    JsonObject? RequestSchema)
{
    public bool IsPost => string.Equals(Method, "POST", StringComparison.Ordinal);

    public bool HasBody => RequestType is not null;

    /// <summary>The codes this route may answer with: its documented ones, and <c>not_found</c> for a path no route matches.</summary>
    public bool Documents(string code) => code == "not_found" || (Doc?.ProblemCodes.Contains(code, StringComparer.Ordinal) ?? false);

    /// <summary>The path with each parameter replaced by <paramref name="value"/>'s answer for it (values are not escaped).</summary>
    public string Path(Func<string, string> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = Pattern;
        foreach (var parameter in PathParameters)
        {
            text = text.Replace("{" + parameter + "}", value(parameter), StringComparison.Ordinal);
        }

        return text;
    }

    public override string ToString() => $"{Method} {Pattern}";
}

/// <summary>Reads the API's routes from the running app (its <see cref="EndpointDataSource"/>) and its OpenAPI document.</summary>
public static class ApiRoutes
{
    /// <summary>Routes that are not partner routes and carry no <see cref="RouteDoc"/>: health and the document itself.</summary>
    public static bool IsInfrastructure(string pattern) =>
        pattern.StartsWith("/health/", StringComparison.Ordinal) || pattern.StartsWith("/openapi/", StringComparison.Ordinal);

    /// <summary>Every (method, route) the app serves, as its endpoint data source lists them.</summary>
    public static IReadOnlyList<(string Method, RouteEndpoint Endpoint)> Endpoints(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var source = services.GetRequiredService<EndpointDataSource>();
        return
        [
            .. source.Endpoints.OfType<RouteEndpoint>()
                .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(method => (method, endpoint))),
        ];
    }

    /// <summary>The route template of an endpoint as the OpenAPI document writes paths (<c>/v1/stores/{store}</c>).</summary>
    public static string PatternOf(RouteEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var segments = endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "?",
        })));
        return "/" + string.Join('/', segments);
    }

    /// <summary>The partner routes (every route but health and the document), joined with the OpenAPI document.</summary>
    public static IReadOnlyList<ApiRoute> Read(IServiceProvider services, JsonElement document)
    {
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var routes = new List<ApiRoute>();
        foreach (var (method, endpoint) in Endpoints(services))
        {
            var pattern = PatternOf(endpoint);
            if (IsInfrastructure(pattern))
            {
                continue;
            }

            var parameters = endpoint.RoutePattern.Parameters.Select(p => p.Name).ToList();
            var queries = new List<string>();
            JsonNode? example = null;
            JsonObject? schema = null;
            if (document.GetProperty("paths").TryGetProperty(pattern, out var path) && path.TryGetProperty(method.ToLowerInvariant(), out var operation))
            {
                if (operation.TryGetProperty("parameters", out var listed))
                {
                    queries.AddRange(listed.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!));
                }

                if (operation.TryGetProperty("requestBody", out var body) && body.GetProperty("content").TryGetProperty("application/json", out var json))
                {
                    example = json.TryGetProperty("example", out var given) ? JsonNode.Parse(given.GetRawText()) : null;
                    schema = json.TryGetProperty("schema", out var s) ? Resolve(JsonNode.Parse(s.GetRawText())!.AsObject(), schemas) : null;
                }
            }

            routes.Add(new ApiRoute(
                method,
                pattern,
                endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName,
                endpoint.Metadata.GetMetadata<RouteDoc>(),
                endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType,
                parameters,
                queries,
                example,
                schema));
        }

        return routes;
    }

    /// <summary>A schema with its <c>$ref</c> replaced by the component it names (one level; nested refs resolve on use).</summary>
    public static JsonObject Resolve(JsonObject schema, JsonElement schemas)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return schema["$ref"]?.GetValue<string>() is { } reference
            ? JsonNode.Parse(schemas.GetProperty(reference["#/components/schemas/".Length..]).GetRawText())!.AsObject()
            : schema;
    }
}
