using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Contracts;

/// <summary>The answer the API gave to a request, kept so that a retry gets it back byte for byte.</summary>
/// <param name="StatusCode">The HTTP status code.</param>
/// <param name="ContentType">The media type of <paramref name="Body"/> (<c>application/json</c> or <c>application/problem+json</c>).</param>
/// <param name="Body">The response body, exactly as sent.</param>
[GenerateSerializer, Immutable, Alias("osettle.IdempotentAnswer")]
public sealed record IdempotentAnswer(
    [property: Id(0)] int StatusCode,
    [property: Id(1)] string ContentType,
    [property: Id(2)] string Body);

[GenerateSerializer, Alias("osettle.IdempotencyStatus")]
public enum IdempotencyStatus
{
    /// <summary>Run the operation (for the first time, or again after a crash or alongside a concurrent duplicate:
    /// the operation is idempotent by <see cref="IdempotencyTicket.OperationId"/> or by content), then record its answer.</summary>
    Run = 0,

    /// <summary>The request was answered before: send <see cref="IdempotencyTicket.Answer"/> again.</summary>
    Answered = 1,

    /// <summary>The key was used before for another request: refuse with <c>idempotency_key_reused</c>.</summary>
    KeyReused = 2,
}

/// <summary>What <see cref="IIdempotencyGrain.Begin"/> or <see cref="IMemoryIdempotencyGrain.Check"/> says about a
/// request.</summary>
/// <param name="Status">What to do.</param>
/// <param name="OperationId">A random id fixed by the first attempt and the same for every retry, for operations that need
/// one (an account's operation id); empty from a record kept in memory.</param>
/// <param name="Answer">The stored answer when <paramref name="Status"/> is <see cref="IdempotencyStatus.Answered"/>.</param>
[GenerateSerializer, Immutable, Alias("osettle.IdempotencyTicket")]
public sealed record IdempotencyTicket(
    [property: Id(0)] IdempotencyStatus Status,
    [property: Id(1)] string OperationId,
    [property: Id(3)] IdempotentAnswer? Answer);

/// <summary>
/// One Idempotency-Key of one caller on one route, stored: the hash of the first request made with it, an operation id
/// fixed before the operation runs and, once given, the answer (two writes). A retry with the same request gets the
/// stored answer; the same key with another request is refused. For the routes that move money or create durable
/// things under an id the record fixes (deposits, withdrawals, registration, the bank and store routes). Key:
/// <see cref="IdempotencyKeys.GrainKey"/>. Kept for <see cref="IdempotencyKeys.Retention"/> at least.
/// </summary>
[Alias("osettle.IIdempotencyGrain")]
public interface IIdempotencyGrain : IGrainWithStringKey
{
    /// <summary>Records the request's hash (first time) and says whether to run it, replay the stored answer or refuse.</summary>
    [Alias("Begin")]
    Task<IdempotencyTicket> Begin(string requestHash);

    /// <summary>Stores the answer to the request, unless one is stored already; returns the stored answer (the first one
    /// wins, so two concurrent attempts send the same answer).</summary>
    [Alias("Complete")]
    Task<IdempotentAnswer> Complete(string requestHash, IdempotentAnswer answer);
}

/// <summary>
/// One Idempotency-Key of one caller on one route, kept in the record's memory only, never stored: for the steps of a
/// checkout's session before S7, which are idempotent by content and hold nothing (ADR 0018). A grain type of its own
/// with no persistent state, so that its activation reads no storage row (ADR 0022); which routes use it is fixed by
/// the route, so a key never lives in both kinds. Key: <see cref="IdempotencyKeys.GrainKey"/>.
/// </summary>
[Alias("osettle.IMemoryIdempotencyGrain")]
public interface IMemoryIdempotencyGrain : IGrainWithStringKey
{
    /// <summary>
    /// Says whether to run the request, replay the remembered answer or refuse. A request to run is reserved in memory, so
    /// that another request with the key is refused while it runs; then <see cref="Remember"/> keeps the answer, or
    /// <see cref="Release"/> gives the key back.
    /// </summary>
    [Alias("Check")]
    Task<IdempotencyTicket> Check(string requestHash);

    /// <summary>
    /// Keeps the request's hash and answer in memory, unless an answer is kept already: returns
    /// <see cref="IdempotencyStatus.Answered"/> with the kept answer (the first one wins), or
    /// <see cref="IdempotencyStatus.KeyReused"/> when another request holds the key. While the activation lives (at
    /// least <c>MemoryIdempotencyGrain.ReplayWindow</c> after the answer), a retry gets the answer again and another
    /// request with the key is refused; after that the retry runs the step again, which answers alike (or says that the
    /// session was lost).
    /// </summary>
    [Alias("Remember")]
    Task<IdempotencyTicket> Remember(string requestHash, IdempotentAnswer answer);

    /// <summary>Forgets the reservation of a request that got no answer to keep (a 5xx), so a corrected request may use
    /// the key at once.</summary>
    [Alias("Release")]
    Task Release(string requestHash);
}

/// <summary>How the API names idempotency records and request hashes.</summary>
public static class IdempotencyKeys
{
    /// <summary>The longest Idempotency-Key accepted (characters of visible ASCII).</summary>
    public const int MaxKeyLength = 255;

    /// <summary>The detail of the <c>idempotency_key_reused</c> problem, wherever the record is kept.</summary>
    public const string ReusedDetail = "this Idempotency-Key was used before for another request on this route: use a new key for a new request.";

    /// <summary>How long a record is kept at least; after that the key may be used afresh.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>True when <paramref name="key"/> is 1 to <see cref="MaxKeyLength"/> characters of visible ASCII (0x21-0x7E).</summary>
    public static bool IsValid(string? key) =>
        key is { Length: > 0 and <= MaxKeyLength } && key.All(c => c is >= '!' and <= '~');

    /// <summary>The grain key: base64url SHA-256 of <c>caller|method|route|key</c>. The caller (for example
    /// <c>wallet:&lt;id&gt;</c>) and the route with its values scope the key, so two callers never share a record.</summary>
    public static string GrainKey(string caller, string method, string route, string key)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(key);
        return Sha256Id.Of(Encoding.UTF8.GetBytes(string.Join('|', caller, method.ToUpperInvariant(), route, key)));
    }

    /// <summary>The request hash: base64url SHA-256 over the method, the route and the body bytes (length-prefixed).</summary>
    public static string RequestHash(string method, string route, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(route);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var head = string.Create(CultureInfo.InvariantCulture, $"{method.ToUpperInvariant()}\n{route}\n{body.Length}\n");
        hash.AppendData(Encoding.UTF8.GetBytes(head));
        hash.AppendData(body);
        return Base64Url.Encode(hash.GetHashAndReset());
    }
}
