using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Idempotency;

/// <summary>One idempotency record as stored (one Azure Table row per caller, route and key).</summary>
[GenerateSerializer, Alias("osettle.IdempotencyState")]
public sealed class IdempotencyState
{
    /// <summary>The request hash of the first request made with the key; empty while there is no record.</summary>
    [Id(0)]
    public string RequestHash { get; set; } = "";

    [Id(1)]
    public string OperationId { get; set; } = "";

    [Id(2)]
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>The answer's HTTP status; 0 until the answer is given.</summary>
    [Id(3)]
    public int AnswerStatusCode { get; set; }

    [Id(4)]
    public string AnswerContentType { get; set; } = "";

    /// <summary>The answer's body, exactly as sent.</summary>
    [Id(5)]
    public string AnswerBody { get; set; } = "";

    /// <summary>The answer, once given (plain members above, so the JSON row stays simple).</summary>
    public IdempotentAnswer? Answer() => AnswerStatusCode == 0 ? null : new IdempotentAnswer(AnswerStatusCode, AnswerContentType, AnswerBody);
}

/// <summary>
/// A stored idempotency record (see <see cref="IIdempotencyGrain"/>): two writes, the request hash with a fresh operation
/// id before the operation runs and the answer after it, for operations that need their id fixed durably before they act
/// (deposits, withdrawals). The grain serializes calls, so concurrent attempts with the same key see the same operation
/// id, and the first answer stored is the one every attempt sends. The records of the session steps before S7 are kept by
/// <see cref="MemoryIdempotencyGrain"/> (ADR 0018, ADR 0022); opening a checkout keeps its record in the checkout itself
/// (ADR 0022).
/// </summary>
/// <remarks>Activations are short-lived (a record is read again from storage after a few idle minutes), so records do
/// not accumulate in memory; rows older than <see cref="IdempotencyKeys.Retention"/> are overwritten when their key is
/// used again.</remarks>
[CollectionAgeLimit(Minutes = 2)]
public sealed class IdempotencyGrain(
    [PersistentState("idempotency", StorageNames.GrainState)] IPersistentState<IdempotencyState> state,
    TimeProvider? timeProvider = null) : Grain, IIdempotencyGrain
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public async Task<IdempotencyTicket> Begin(string requestHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        var s = state.State;
        var now = _time.GetUtcNow();
        if (s.RequestHash.Length > 0 && now - s.StartedAt < IdempotencyKeys.Retention)
        {
            if (!string.Equals(s.RequestHash, requestHash, StringComparison.Ordinal))
            {
                return new IdempotencyTicket(IdempotencyStatus.KeyReused, "", null);
            }

            return s.Answer() is { } answer
                ? new IdempotencyTicket(IdempotencyStatus.Answered, s.OperationId, answer)
                : new IdempotencyTicket(IdempotencyStatus.Run, s.OperationId, null);
        }

        state.State = new IdempotencyState
        {
            RequestHash = requestHash,
            OperationId = BinaryIds.NewRandom(),
            StartedAt = Timestamps.Truncate(now),
        };
        await state.WriteOrReloadAsync(this);
        return new IdempotencyTicket(IdempotencyStatus.Run, state.State.OperationId, null);
    }

    public async Task<IdempotentAnswer> Complete(string requestHash, IdempotentAnswer answer)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        ArgumentNullException.ThrowIfNull(answer);
        var s = state.State;
        if (!string.Equals(s.RequestHash, requestHash, StringComparison.Ordinal))
        {
            // Begin was not called for this request (or the record was replaced): nothing to keep it under.
            throw new InvalidOperationException("Complete was called for a request that did not begin under this key.");
        }

        if (s.Answer() is { } stored)
        {
            return stored;
        }

        s.AnswerStatusCode = answer.StatusCode;
        s.AnswerContentType = answer.ContentType;
        s.AnswerBody = answer.Body;
        await state.WriteOrReloadAsync(this);
        return answer;
    }
}
