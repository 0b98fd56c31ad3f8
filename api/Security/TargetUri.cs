using Microsoft.AspNetCore.Http.Features;

namespace OrleansSettlement.Api.Security;

/// <summary>
/// The RFC 9421 <c>@target-uri</c> of a request as the client sent it: <c>scheme://host[:port]/path?query</c>, from the
/// request's scheme, its Host header and its request target exactly as received (percent-encoding untouched). Behind a
/// proxy, the forwarded-headers middleware (see <see cref="ApiOptions.ForwardedHeaders"/>) puts the client's scheme, host
/// and path prefix in place first.
/// </summary>
public static class TargetUri
{
    public static string Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var request = http.Request;
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var pathAndQuery = raw is { Length: > 0 } && raw[0] == '/'
            ? raw
            : request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
        var pathBase = request.PathBase.ToUriComponent();
        if (pathBase.Length > 0 && !pathAndQuery.StartsWith(pathBase, StringComparison.Ordinal))
        {
            pathAndQuery = pathBase + pathAndQuery;
        }

        return $"{request.Scheme}://{request.Host.ToUriComponent()}{pathAndQuery}";
    }
}
