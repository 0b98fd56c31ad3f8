using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Idempotency;

/// <summary>
/// An idempotency record kept in memory only (see <see cref="IMemoryIdempotencyGrain"/>), for the steps of a checkout's
/// session before S7 (ADR 0018). It has no persistent state, so its activation reads no storage row: the row would always
/// be empty, since such a record is never written (ADR 0022). The activation is kept at least <see cref="ReplayWindow"/>
/// after the answer; a retry after that runs the step again, which is idempotent by content at its grain.
/// </summary>
[CollectionAgeLimit(Minutes = 2)]
public sealed class MemoryIdempotencyGrain(TimeProvider? timeProvider = null) : Grain, IMemoryIdempotencyGrain
{
    /// <summary>How long a reservation made by <see cref="Check"/> keeps another request off the key without an answer:
    /// longer than any operation runs (Orleans' response timeout is 30 s), so only an attempt that was abandoned expires.</summary>
    public static readonly TimeSpan ReservationLease = TimeSpan.FromMinutes(2);

    /// <summary>How long an activation that remembers an answer is kept from idle collection: as long as the collection
    /// age, so a client's retries within it are replayed.</summary>
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(2);

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>The request running, not answered yet, and when an attempt last checked it.</summary>
    private (string RequestHash, DateTimeOffset Since)? _reserved;

    /// <summary>The first request answered with the key, and its answer.</summary>
    private (string RequestHash, IdempotentAnswer Answer)? _remembered;

    public Task<IdempotencyTicket> Check(string requestHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        if (Remembered(requestHash) is { } settled)
        {
            return Task.FromResult(settled);
        }

        var now = _time.GetUtcNow();
        if (_reserved is { } reserved && now - reserved.Since < ReservationLease
            && !string.Equals(reserved.RequestHash, requestHash, StringComparison.Ordinal))
        {
            return Task.FromResult(Ticket(IdempotencyStatus.KeyReused, null));
        }

        _reserved = (requestHash, now);
        return Task.FromResult(Ticket(IdempotencyStatus.Run, null));
    }

    public Task<IdempotencyTicket> Remember(string requestHash, IdempotentAnswer answer)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestHash);
        ArgumentNullException.ThrowIfNull(answer);
        if (Remembered(requestHash) is { } settled)
        {
            return Task.FromResult(settled);
        }

        _remembered = (requestHash, answer);
        _reserved = null;
        DelayDeactivation(ReplayWindow);
        return Task.FromResult(Ticket(IdempotencyStatus.Answered, answer));
    }

    public Task Release(string requestHash)
    {
        if (_reserved is { } reserved && string.Equals(reserved.RequestHash, requestHash, StringComparison.Ordinal))
        {
            _reserved = null;
        }

        return Task.CompletedTask;
    }

    /// <summary>What the remembered record says about the request: its answer, or the refusal of another request; null
    /// when nothing is remembered.</summary>
    private IdempotencyTicket? Remembered(string requestHash) => _remembered is not { } remembered ? null
        : string.Equals(remembered.RequestHash, requestHash, StringComparison.Ordinal) ? Ticket(IdempotencyStatus.Answered, remembered.Answer)
        : Ticket(IdempotencyStatus.KeyReused, null);

    private static IdempotencyTicket Ticket(IdempotencyStatus status, IdempotentAnswer? answer) => new(status, "", answer);
}
