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
/// An idempotency record (see <see cref="IIdempotencyGrain"/>), written one of two ways or kept in memory, chosen by the
/// route (ADR 0014, ADR 0018).
/// <see cref="Begin"/> and <see cref="Complete"/>: two writes, the request hash with a fresh operation id before the
/// operation runs and the answer after, for operations that need their id fixed durably before they act (deposits,
/// withdrawals). <see cref="Check"/> and <see cref="Record"/>: one write, the hash with the answer after the operation, for
/// operations idempotent by content: a crash before the write leaves no record, and the retry runs the operation again,
/// which then does nothing new. <see cref="Check"/> and <see cref="Remember"/>: no write, the hash with the answer in the
/// activation's memory, for the steps of a checkout's session before S7 (idempotent by content, holding nothing): the
/// activation is kept at least <see cref="ReplayWindow"/> after the answer, and a retry after that runs the step again.
/// The grain serializes calls, so concurrent attempts with the same key see the same operation id (durable, or reserved in
/// memory), and the first answer recorded is the one every attempt sends.
/// </summary>
/// <remarks>Activations are short-lived (a record is read again from storage after a few idle minutes), so records do
/// not accumulate in memory; rows older than <see cref="IdempotencyKeys.Retention"/> are overwritten when their key is
/// used again.</remarks>
[CollectionAgeLimit(Minutes = 2)]
public sealed class IdempotencyGrain(
    [PersistentState("idempotency", StorageNames.GrainState)] IPersistentState<IdempotencyState> state,
    TimeProvider? timeProvider = null) : Grain, IIdempotencyGrain
{
    /// <summary>How long a reservation made by <see cref="Check"/> keeps another request off the key without an answer:
    /// longer than any operation runs (Orleans' response timeout is 30 s), so only an attempt that was abandoned expires.</summary>
    public static readonly TimeSpan ReservationLease = TimeSpan.FromMinutes(2);

    /// <summary>How long an activation that remembers an answer (<see cref="Remember"/>) is kept from idle collection:
    /// as long as the collection age, so a client's retries within it are replayed.</summary>
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(2);

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>The request running under the one-write or the memory path, not yet recorded (memory only).</summary>
    private Reservation? _reserved;

    /// <summary>The record kept in memory only by <see cref="Remember"/>.</summary>
    private IdempotencyState? _remembered;

    public async Task<IdempotencyTicket> Begin(string requestHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        var s = state.State;
        var now = _time.GetUtcNow();
        if (s.RequestHash.Length > 0 && now - s.StartedAt < IdempotencyKeys.Retention)
        {
            if (!string.Equals(s.RequestHash, requestHash, StringComparison.Ordinal))
            {
                return new IdempotencyTicket(IdempotencyStatus.KeyReused, "", s.StartedAt, null);
            }

            return s.Answer() is { } answer
                ? new IdempotencyTicket(IdempotencyStatus.Answered, s.OperationId, s.StartedAt, answer)
                : new IdempotencyTicket(IdempotencyStatus.Run, s.OperationId, s.StartedAt, null);
        }

        state.State = new IdempotencyState
        {
            RequestHash = requestHash,
            OperationId = BinaryIds.NewRandom(),
            StartedAt = Timestamps.Truncate(now),
        };
        await WriteAsync();
        return new IdempotencyTicket(IdempotencyStatus.Run, state.State.OperationId, state.State.StartedAt, null);
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
        await WriteAsync();
        return answer;
    }

    public Task<IdempotencyTicket> Check(string requestHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        var now = _time.GetUtcNow();
        if (HeldRecord(now) is { } s)
        {
            if (!string.Equals(s.RequestHash, requestHash, StringComparison.Ordinal))
            {
                return Task.FromResult(new IdempotencyTicket(IdempotencyStatus.KeyReused, "", s.StartedAt, null));
            }

            return Task.FromResult(s.Answer() is { } answer
                ? new IdempotencyTicket(IdempotencyStatus.Answered, s.OperationId, s.StartedAt, answer)
                : new IdempotencyTicket(IdempotencyStatus.Run, s.OperationId, s.StartedAt, null));
        }

        if (_reserved is { } reserved && now - reserved.Since < ReservationLease
            && !string.Equals(reserved.RequestHash, requestHash, StringComparison.Ordinal))
        {
            return Task.FromResult(new IdempotencyTicket(IdempotencyStatus.KeyReused, "", reserved.StartedAt, null));
        }

        if (_reserved is null || !string.Equals(_reserved.RequestHash, requestHash, StringComparison.Ordinal))
        {
            _reserved = new Reservation(requestHash, BinaryIds.NewRandom(), Timestamps.Truncate(now), now);
        }
        else
        {
            _reserved = _reserved with { Since = now };
        }

        return Task.FromResult(new IdempotencyTicket(IdempotencyStatus.Run, _reserved.OperationId, _reserved.StartedAt, null));
    }

    public async Task<IdempotencyTicket> Record(string requestHash, IdempotentAnswer answer)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        ArgumentNullException.ThrowIfNull(answer);
        var now = _time.GetUtcNow();
        if (Remembered(requestHash, now) is { } remembered)
        {
            return remembered;
        }

        if (Held(now))
        {
            var s = state.State;
            if (!string.Equals(s.RequestHash, requestHash, StringComparison.Ordinal))
            {
                return new IdempotencyTicket(IdempotencyStatus.KeyReused, "", s.StartedAt, null);
            }

            if (s.Answer() is { } stored)
            {
                return new IdempotencyTicket(IdempotencyStatus.Answered, s.OperationId, s.StartedAt, stored);
            }

            // A record begun by Begin (two-write path) and not answered yet: this answer completes it.
            return new IdempotencyTicket(IdempotencyStatus.Answered, s.OperationId, s.StartedAt, await Complete(requestHash, answer));
        }

        var reserved = _reserved is { } r && string.Equals(r.RequestHash, requestHash, StringComparison.Ordinal) ? r : null;
        state.State = new IdempotencyState
        {
            RequestHash = requestHash,
            OperationId = reserved?.OperationId ?? BinaryIds.NewRandom(),
            StartedAt = reserved?.StartedAt ?? Timestamps.Truncate(now),
            AnswerStatusCode = answer.StatusCode,
            AnswerContentType = answer.ContentType,
            AnswerBody = answer.Body,
        };
        await WriteAsync();
        if (reserved is not null)
        {
            _reserved = null;
        }

        return new IdempotencyTicket(IdempotencyStatus.Answered, state.State.OperationId, state.State.StartedAt, answer);
    }

    public async Task<IdempotencyTicket> Remember(string requestHash, IdempotentAnswer answer)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        ArgumentNullException.ThrowIfNull(answer);
        var now = _time.GetUtcNow();
        if (Remembered(requestHash, now) is { } remembered)
        {
            return remembered;
        }

        if (Held(now))
        {
            // A stored record begun by the two-write path: this answer completes it (the route changed its kind).
            return await Record(requestHash, answer);
        }

        var reserved = _reserved is { } r && string.Equals(r.RequestHash, requestHash, StringComparison.Ordinal) ? r : null;
        _remembered = new IdempotencyState
        {
            RequestHash = requestHash,
            OperationId = reserved?.OperationId ?? BinaryIds.NewRandom(),
            StartedAt = reserved?.StartedAt ?? Timestamps.Truncate(now),
            AnswerStatusCode = answer.StatusCode,
            AnswerContentType = answer.ContentType,
            AnswerBody = answer.Body,
        };
        if (reserved is not null)
        {
            _reserved = null;
        }

        DelayDeactivation(ReplayWindow);
        return new IdempotencyTicket(IdempotencyStatus.Answered, _remembered.OperationId, _remembered.StartedAt, answer);
    }

    public Task Release(string requestHash)
    {
        if (_reserved is { } reserved && string.Equals(reserved.RequestHash, requestHash, StringComparison.Ordinal))
        {
            _reserved = null;
        }

        return Task.CompletedTask;
    }

    /// <summary>True when the row holds a record still within its retention.</summary>
    private bool Held(DateTimeOffset now) =>
        state.State.RequestHash.Length > 0 && now - state.State.StartedAt < IdempotencyKeys.Retention;

    /// <summary>The record that holds the key: the stored one within its retention, else the one remembered in memory.</summary>
    private IdempotencyState? HeldRecord(DateTimeOffset now) =>
        Held(now) ? state.State
        : _remembered is { } remembered && now - remembered.StartedAt < IdempotencyKeys.Retention ? remembered
        : null;

    /// <summary>What the record remembered in memory says about the request (no stored record holds the key): its
    /// answer, or the refusal of another request; null when nothing is remembered.</summary>
    private IdempotencyTicket? Remembered(string requestHash, DateTimeOffset now)
    {
        if (Held(now) || HeldRecord(now) is not { } remembered)
        {
            return null;
        }

        return string.Equals(remembered.RequestHash, requestHash, StringComparison.Ordinal)
            ? new IdempotencyTicket(IdempotencyStatus.Answered, remembered.OperationId, remembered.StartedAt, remembered.Answer())
            : new IdempotencyTicket(IdempotencyStatus.KeyReused, "", remembered.StartedAt, null);
    }

    private async Task WriteAsync()
    {
        await state.WriteOrReloadAsync(this);
    }

    /// <summary>A request reserved by <see cref="Check"/>: its hash, the operation id and start time every attempt shares,
    /// and when an attempt last checked it.</summary>
    private sealed record Reservation(string RequestHash, string OperationId, DateTimeOffset StartedAt, DateTimeOffset Since);
}
