using System.Text.Json.Serialization;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Api.Http;

/// <summary>
/// The one table from problem codes to HTTP statuses, and the RFC 9457 problem body every refusal carries:
/// <c>type</c> (<see cref="TypeBase"/> + the code), <c>title</c>, <c>status</c>, <c>detail</c>, <c>code</c> (the stable wire
/// code) and <c>traceId</c>.
/// </summary>
public static class Problems
{
    /// <summary>The base of every problem type URI; the wire code follows it.</summary>
    public const string TypeBase = "https://orleans-settlement.example/problems/";

    public const string MediaType = "application/problem+json";

    /// <summary>The HTTP status a refusal with <paramref name="code"/> is answered with.</summary>
    public static int StatusOf(ProtocolErrorCode code) => code switch
    {
        ProtocolErrorCode.Unauthenticated or ProtocolErrorCode.SignatureExpired or ProtocolErrorCode.ReplayedRequest
            => StatusCodes.Status401Unauthorized,
        ProtocolErrorCode.Forbidden
            => StatusCodes.Status403Forbidden,
        ProtocolErrorCode.UnknownInstitution or ProtocolErrorCode.UnknownAccount or ProtocolErrorCode.UnknownStore
            or ProtocolErrorCode.UnknownWallet or ProtocolErrorCode.UnknownNote or ProtocolErrorCode.UnknownCheckout
            or ProtocolErrorCode.UnknownAgreement or ProtocolErrorCode.NotFound
            => StatusCodes.Status404NotFound,
        ProtocolErrorCode.AlreadyExists or ProtocolErrorCode.IdempotencyKeyReused or ProtocolErrorCode.NoteHeldElsewhere
            or ProtocolErrorCode.NoteAlreadySpent or ProtocolErrorCode.CheckoutClosed or ProtocolErrorCode.CheckoutSessionLost
            => StatusCodes.Status409Conflict,
        ProtocolErrorCode.PayloadTooLarge
            => StatusCodes.Status413PayloadTooLarge,
        ProtocolErrorCode.UnsupportedMediaType
            => StatusCodes.Status415UnsupportedMediaType,
        ProtocolErrorCode.MalformedJson or ProtocolErrorCode.MissingField or ProtocolErrorCode.InvalidField
            or ProtocolErrorCode.UnknownField or ProtocolErrorCode.DuplicateMember or ProtocolErrorCode.NumberNotInteger
            or ProtocolErrorCode.IntegerOutOfRange or ProtocolErrorCode.InvalidBase64Url or ProtocolErrorCode.InvalidTimestamp
            or ProtocolErrorCode.IdempotencyKeyMissing
            => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    /// <summary>A short title for a code: <c>unknown_store</c> is "Unknown store".</summary>
    public static string TitleOf(string wireCode)
    {
        ArgumentException.ThrowIfNullOrEmpty(wireCode);
        var words = wireCode.Replace('_', ' ');
        return string.Concat(char.ToUpperInvariant(words[0]).ToString(), words[1..]);
    }

    /// <summary>The answer to a refusal.</summary>
    public static ApiAnswer Answer(HttpContext http, ProtocolError error)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(error);
        var status = StatusOf(error.Code);
        var body = new ProblemBody(
            TypeBase + error.WireCode,
            TitleOf(error.WireCode),
            status,
            error.Detail,
            error.WireCode,
            TraceId(http),
            http.Request.Path.Value);
        return new ApiAnswer(status, MediaType, ApiJson.Serialize(body));
    }

    public static ApiAnswer Answer(HttpContext http, ProtocolErrorCode code, string detail) => Answer(http, new ProtocolError(code, detail));

    public static ApiAnswer Answer(HttpContext http, Refusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return Answer(http, refusal.ToError());
    }

    /// <summary>A problem without a protocol code (the service itself is unavailable): 503.</summary>
    public static ApiAnswer Unavailable(HttpContext http, string detail)
    {
        ArgumentNullException.ThrowIfNull(http);
        var body = new ProblemBody(TypeBase + "service_unavailable", "Service unavailable", StatusCodes.Status503ServiceUnavailable, detail, null, TraceId(http), http.Request.Path.Value);
        return new ApiAnswer(StatusCodes.Status503ServiceUnavailable, MediaType, ApiJson.Serialize(body));
    }

    public static string TraceId(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier;
    }
}

/// <summary>An RFC 9457 problem details body, with the protocol's stable <c>code</c> and a <c>traceId</c>.</summary>
/// <param name="Type">A URI naming the problem type: <c>https://orleans-settlement.example/problems/{code}</c>.</param>
/// <param name="Title">A short summary of the problem type.</param>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Detail">A sentence that says what was wrong with this request.</param>
/// <param name="Code">The stable machine-readable problem code (see docs/protocol.md, section 4).</param>
/// <param name="TraceId">The request's trace id, for support.</param>
/// <param name="Instance">The request path.</param>
public sealed record ProblemBody(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("traceId")] string TraceId,
    [property: JsonPropertyName("instance")] string? Instance);
