using Microsoft.AspNetCore.Http.Metadata;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Api.Endpoints;

/// <summary>Who may call a route and how it proves it.</summary>
public enum Access
{
    /// <summary>Anyone; no credentials.</summary>
    Public = 0,

    /// <summary><c>Authorization: Bearer</c> with the admin token (<c>Api:AdminTokenSha256</c>).</summary>
    Admin = 1,

    /// <summary><c>Authorization: Bearer</c> with an operator token of the institution in the route.</summary>
    Operator = 2,

    /// <summary><c>Authorization: Bearer</c> with the token of the store in the route.</summary>
    Store = 3,

    /// <summary>The store's bearer token, or any registered wallet's request signature.</summary>
    StoreOrWallet = 4,

    /// <summary>An RFC 9421 request signature by any registered wallet (keyid = wallet id).</summary>
    Wallet = 5,

    /// <summary>An RFC 9421 request signature by the wallet in the route itself.</summary>
    WalletSelf = 6,

    /// <summary>An RFC 9421 request signature by the key being registered (keyid = its thumbprint).</summary>
    NewWallet = 7,
}

/// <summary>What the OpenAPI document says about a route beyond its schemas: its access and every problem code it can return.</summary>
public sealed record RouteDoc(Access Access, bool IsPost, IReadOnlyList<string> ProblemCodes);

internal static class RouteDocExtensions
{
    private static readonly ProtocolErrorCode[] BodyCodes =
    [
        ProtocolErrorCode.IdempotencyKeyMissing, ProtocolErrorCode.IdempotencyKeyReused, ProtocolErrorCode.PayloadTooLarge,
        ProtocolErrorCode.MalformedJson, ProtocolErrorCode.DuplicateMember, ProtocolErrorCode.NumberNotInteger,
        ProtocolErrorCode.IntegerOutOfRange, ProtocolErrorCode.MissingField, ProtocolErrorCode.InvalidField, ProtocolErrorCode.UnknownField,
    ];

    /// <summary>
    /// Adds the route's <see cref="RouteDoc"/> and a problem response for each status its codes map to. It is computed once
    /// the route's other metadata is in place, so a route that takes a body (<c>Accepts</c>) also documents
    /// <c>unsupported_media_type</c>, which routing answers for a body of another Content-Type.
    /// </summary>
    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder builder, Access access, bool isPost, params ProtocolErrorCode[] codes)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Finally(endpoint =>
        {
            var takesBody = endpoint.Metadata.OfType<IAcceptsMetadata>().Any();
            var all = Codes(access, isPost, takesBody, codes);
            endpoint.Metadata.Add(new RouteDoc(access, isPost, [.. all.Select(ProtocolError.ToWireCode)]));
            foreach (var status in all.Select(Problems.StatusOf).Append(StatusCodes.Status503ServiceUnavailable).Distinct().Order())
            {
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemBody), [Problems.MediaType]));
            }
        });
        return builder;
    }

    private static List<ProtocolErrorCode> Codes(Access access, bool isPost, bool takesBody, ProtocolErrorCode[] codes)
    {
        var all = new List<ProtocolErrorCode>();
        all.AddRange(access switch
        {
            Access.Public => [],
            Access.Admin or Access.Operator or Access.Store => [ProtocolErrorCode.Unauthenticated, ProtocolErrorCode.Forbidden],
            Access.StoreOrWallet => [ProtocolErrorCode.Unauthenticated, ProtocolErrorCode.Forbidden, ProtocolErrorCode.SignatureExpired, ProtocolErrorCode.ReplayedRequest],
            Access.Wallet or Access.NewWallet => [ProtocolErrorCode.Unauthenticated, ProtocolErrorCode.SignatureExpired, ProtocolErrorCode.ReplayedRequest],
            _ => [ProtocolErrorCode.Unauthenticated, ProtocolErrorCode.Forbidden, ProtocolErrorCode.SignatureExpired, ProtocolErrorCode.ReplayedRequest],
        });
        if (isPost)
        {
            all.AddRange(BodyCodes);
        }

        // A signed request may carry a Content-Digest (a GET's is that of the empty body); one that does not match is refused.
        if (access is Access.Wallet or Access.WalletSelf or Access.NewWallet or Access.StoreOrWallet)
        {
            all.Add(ProtocolErrorCode.DigestMismatch);
        }

        if (takesBody)
        {
            all.Add(ProtocolErrorCode.UnsupportedMediaType);
        }

        all.AddRange(codes);
        return [.. all.Distinct()];
    }
}

/// <summary>Shapes shared by the routes: turning a grain's reply into an answer, and path checks.</summary>
internal static class Answers
{
    public static ApiAnswer From<T, TResponse>(HttpContext http, Reply<T> reply, Func<T, TResponse> map)
    {
        ArgumentNullException.ThrowIfNull(reply);
        ArgumentNullException.ThrowIfNull(map);
        return reply.IsOk ? ApiAnswer.Ok(map(reply.Value!)) : Problems.Answer(http, reply.Refusal!);
    }

    public static Task<Outcome<Security.Caller>> Anyone() => Task.FromResult(Outcome<Security.Caller>.Ok(Security.Caller.Public));

    /// <summary>A checkout id as the API makes them (base64url, at most 64 characters).</summary>
    public static bool IsCheckoutId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>A wallet id: the base64url SHA-256 thumbprint of its key.</summary>
    public static bool IsWalletId(string? id) =>
        Protocol.Model.BinaryIds.Check(id, "wallet", Protocol.Model.BinaryIds.HashBytes, Protocol.Model.BinaryIds.HashBytes).IsOk;
}
