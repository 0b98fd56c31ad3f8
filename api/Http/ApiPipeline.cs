using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansSettlement.Api.Hosting;
using OrleansSettlement.Api.Security;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Http;

namespace OrleansSettlement.Api.Http;

/// <summary>How a route authenticates its caller, given the request (its body is read already).</summary>
public delegate Task<Outcome<Caller>> Authorize(Authenticator authenticator, PostRequest request);

/// <summary>
/// The steps every route takes, in order. GET: the cluster is reachable (503 otherwise), the caller is authenticated, the
/// route answers. POST: the cluster is reachable, an Idempotency-Key is present (400 <c>idempotency_key_missing</c>), the
/// body is within its limit (413), the caller is authenticated (401/403), the route checks the body (400s, not stored),
/// and the operation runs under the idempotency record (<see cref="PostRequest.RunOnceAsync"/>, stored;
/// <see cref="PostRequest.RunSessionStepAsync"/> for the steps of a checkout's session before S7, in memory; or
/// <see cref="PostRequest.RunRecordedByGrainAsync"/> when the operation's grain keeps the record itself, as opening a
/// checkout does), whose answer (success or refusal) is kept and replayed to every retry.
/// </summary>
internal sealed class ApiPipeline(IGrainFactory grains, Authenticator authenticator, ClusterConnection connection, IOptions<ApiOptions> options)
{
    public IGrainFactory Grains => grains;

    public async Task<IResult> GetAsync(HttpContext http, Func<Authenticator, Task<Outcome<Caller>>> authorize, Func<Caller, Task<ApiAnswer>> handle)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(authorize);
        ArgumentNullException.ThrowIfNull(handle);
        if (!connection.IsConnected)
        {
            return NotConnected(http);
        }

        var caller = await authorize(authenticator).ConfigureAwait(false);
        if (!caller.IsOk)
        {
            return Problems.Answer(http, caller.Error).ToResult();
        }

        return (await handle(caller.Value).ConfigureAwait(false)).ToResult();
    }

    public async Task<IResult> PostAsync(HttpContext http, Authorize authorize, Func<PostRequest, Task<ApiAnswer>> handle, bool bundle = false)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(authorize);
        ArgumentNullException.ThrowIfNull(handle);
        if (!connection.IsConnected)
        {
            return NotConnected(http);
        }

        var keys = http.Request.Headers[HttpSignatures.IdempotencyKeyHeader];
        if (keys.Count != 1 || !IdempotencyKeys.IsValid(keys[0]))
        {
            return Problems.Answer(http, ProtocolErrorCode.IdempotencyKeyMissing, keys.Count == 0
                ? "every POST needs an Idempotency-Key header: a key of your choice (1 to 255 visible ASCII characters) that you send again when you retry."
                : "the Idempotency-Key header must appear once and hold 1 to 255 visible ASCII characters.").ToResult();
        }

        var limit = bundle ? options.Value.MaxBundleBodyBytes : options.Value.MaxBodyBytes;
        var body = await RequestBody.ReadAsync(http.Request, limit, http.RequestAborted).ConfigureAwait(false);
        if (!body.IsOk)
        {
            return Problems.Answer(http, body.Error).ToResult();
        }

        using var request = new PostRequest(http, body.Value, keys[0]!, grains);
        var caller = await authorize(authenticator, request).ConfigureAwait(false);
        if (!caller.IsOk)
        {
            return Problems.Answer(http, caller.Error).ToResult();
        }

        request.Caller = caller.Value;
        var answer = await handle(request).ConfigureAwait(false);
        return answer.ToResult(request.Replayed);
    }

    private static IResult NotConnected(HttpContext http) =>
        Problems.Unavailable(http, "the service is starting and not connected to its cluster yet; retry shortly.").ToResult();
}

/// <summary>A POST being handled: its body, its Idempotency-Key, its caller, and the idempotent run of its operation.</summary>
public sealed class PostRequest : IDisposable
{
    private readonly IGrainFactory _grains;
    private Outcome<JsonDocument>? _json;

    internal PostRequest(HttpContext http, byte[] body, string idempotencyKey, IGrainFactory grains)
    {
        Http = http;
        Body = body;
        IdempotencyKey = idempotencyKey;
        _grains = grains;
    }

    public HttpContext Http { get; }

    public byte[] Body { get; }

    public string IdempotencyKey { get; }

    public Caller Caller { get; internal set; } = Caller.Public;

    /// <summary>True when the answer was replayed from the idempotency record.</summary>
    public bool Replayed { get; private set; }

    /// <summary>The body parsed strictly (see <see cref="BodyReader.Parse"/>).</summary>
    public Outcome<JsonDocument> Json => _json ??= BodyReader.Parse(Body);

    /// <summary>A reader of the body's top object, or the refusal when the body is not a strict JSON object.</summary>
    public Outcome<BodyReader> Reader() =>
        Json.TryGetValue(out var document, out var error) ? Outcome<BodyReader>.Ok(new BodyReader(document.RootElement)) : Outcome<BodyReader>.Fail(error);

    public ApiAnswer Refuse(ProtocolError error) => Problems.Answer(Http, error);

    public ApiAnswer Refuse(ProtocolErrorCode code, string detail) => Problems.Answer(Http, code, detail);

    /// <summary>
    /// Runs <paramref name="operation"/> under this request's idempotency record: a retry of an answered request gets the
    /// stored answer byte for byte; the same key with another request is <c>idempotency_key_reused</c>; otherwise the
    /// operation runs (it is idempotent by <see cref="IdempotencyTicket.OperationId"/> or by content, so running it again
    /// after a crash or alongside a concurrent duplicate is safe) and its answer is stored unless it is a 5xx.
    /// </summary>
    public async Task<ApiAnswer> RunOnceAsync(Func<IdempotencyTicket, Task<ApiAnswer>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var record = _grains.GetGrain<IIdempotencyGrain>(RecordKey());
        var requestHash = RequestHash();
        var ticket = await record.Begin(requestHash).ConfigureAwait(false);
        if (Settled(ticket) is { } settled)
        {
            return settled;
        }

        var answer = await operation(ticket).ConfigureAwait(false);
        if (answer.StatusCode >= StatusCodes.Status500InternalServerError)
        {
            return answer;
        }

        var stored = await record.Complete(requestHash, new IdempotentAnswer(answer.StatusCode, answer.ContentType, answer.Body)).ConfigureAwait(false);
        return FirstAnswer(answer, stored);
    }

    /// <summary>
    /// For a step of a checkout's session before S7 (propose, S1, S2, S5, join, decline), with no write at all: the record
    /// (<see cref="IMemoryIdempotencyGrain"/>, a grain type without storage) reserves the key while the step runs, then
    /// keeps the answer in memory and replays it to retries while its activation lives (a few minutes at least). The step
    /// is idempotent by content at its grain and nothing is held before S7, so a retry after the record was lost runs the
    /// step again and answers alike, or says that the session was lost (ADR 0018, ADR 0022).
    /// </summary>
    public async Task<ApiAnswer> RunSessionStepAsync(Func<Task<ApiAnswer>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var record = _grains.GetGrain<IMemoryIdempotencyGrain>(RecordKey());
        var requestHash = RequestHash();
        var ticket = await record.Check(requestHash).ConfigureAwait(false);
        if (Settled(ticket) is { } settled)
        {
            return settled;
        }

        ApiAnswer answer;
        try
        {
            answer = await operation().ConfigureAwait(false);
        }
        catch
        {
            await record.Release(requestHash).ConfigureAwait(false);
            throw;
        }

        if (answer.StatusCode >= StatusCodes.Status500InternalServerError)
        {
            await record.Release(requestHash).ConfigureAwait(false);
            return answer;
        }

        var remembered = await record.Remember(requestHash, new IdempotentAnswer(answer.StatusCode, answer.ContentType, answer.Body)).ConfigureAwait(false);
        if (remembered.Status == IdempotencyStatus.KeyReused)
        {
            return KeyReused();
        }

        return FirstAnswer(answer, remembered.Answer!);
    }

    /// <summary>
    /// For an operation whose grain keeps this request's idempotency record itself, in the operation's own write
    /// (opening a checkout, whose id the route derives from the Idempotency-Key: ADR 0022). No idempotency grain is
    /// asked. The operation gets the request's fingerprint (<see cref="IdempotencyKeys.RequestHash"/>, as every record
    /// keeps it) and says whether its grain had answered this request before; it answers another request with the key
    /// <c>idempotency_key_reused</c> itself, and a refusal leaves no trace.
    /// </summary>
    public async Task<ApiAnswer> RunRecordedByGrainAsync(Func<string, Task<(ApiAnswer Answer, bool Replayed)>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var (answer, replayed) = await operation(RequestHash()).ConfigureAwait(false);
        Replayed = replayed;
        return answer;
    }

    public void Dispose()
    {
        if (_json is { IsOk: true } json)
        {
            json.Value.Dispose();
        }
    }

    /// <summary>The key of this request's idempotency record: by caller, method, route and Idempotency-Key.</summary>
    private string RecordKey() => IdempotencyKeys.GrainKey(Caller.Id, Http.Request.Method, Route, IdempotencyKey);

    /// <summary>The fingerprint of this request: its method, route and body bytes.</summary>
    private string RequestHash() => IdempotencyKeys.RequestHash(Http.Request.Method, Route, Body);

    private string Route => Http.Request.PathBase.Add(Http.Request.Path).Value ?? "";

    /// <summary>The answer a record already settles: the key used for another request, or the stored answer (a replay).</summary>
    private ApiAnswer? Settled(IdempotencyTicket ticket)
    {
        switch (ticket.Status)
        {
            case IdempotencyStatus.KeyReused:
                return KeyReused();
            case IdempotencyStatus.Answered:
                Replayed = true;
                return FromStored(ticket.Answer!);
            default:
                return null;
        }
    }

    /// <summary>The answer the record kept: this one, or that of a concurrent attempt with the same key which answered
    /// first (then every attempt sends that answer).</summary>
    private ApiAnswer FirstAnswer(ApiAnswer answer, IdempotentAnswer stored)
    {
        if (string.Equals(stored.Body, answer.Body, StringComparison.Ordinal) && stored.StatusCode == answer.StatusCode)
        {
            return answer;
        }

        Replayed = true;
        return FromStored(stored);
    }

    private ApiAnswer KeyReused() => Refuse(ProtocolErrorCode.IdempotencyKeyReused, IdempotencyKeys.ReusedDetail);

    private static ApiAnswer FromStored(IdempotentAnswer answer) => new(answer.StatusCode, answer.ContentType, answer.Body);
}
