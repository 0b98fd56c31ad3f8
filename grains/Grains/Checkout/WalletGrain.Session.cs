using Microsoft.Extensions.Logging;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// What the wallet holds for a checkout before S7, in the activation's memory only (ADR 0018): the agreements it leads
/// (<see cref="Lead"/>), the S1 contributions in its mailbox (<see cref="ReceiveContribution"/>) and the S4 challenges
/// addressed to it (<see cref="DeliverChallenge"/>). None is written, and no write of the wallet carries them (nor their
/// live events): the commit rule asks for durability only from S7 on, and before S7 nothing is held, so losing them
/// loses nothing but time. A fresh activation holds none: the payers' S1 is refused <c>unknown_agreement</c> until the
/// lead is recorded again (<see cref="Lead"/>), and a lost challenge comes again when the leader sends its bundle again;
/// otherwise the checkout expires without payment (docs/protocol.md 3.8).
/// </summary>
/// <remarks>
/// While any entry pends, the activation is kept from idle collection until the latest expiry among them
/// (<see cref="Grain.DelayDeactivation"/>), so only a silo's failure loses them; once none pends, the regular collection
/// applies again. A silo that shuts down in order writes them to the row as it goes, and the next activation takes them
/// up (ADR 0024).
/// </remarks>
public sealed partial class WalletGrain
{
    /// <summary>The live agreements this wallet leads (proposed at their checkout): the only ones its mailbox takes.</summary>
    private readonly List<LedAgreement> _leading = [];

    /// <summary>Contributions to agreements this wallet leads (S1).</summary>
    private readonly List<MailboxAgreement> _mailbox = [];

    /// <summary>Challenges addressed to this wallet (S4), one per agreement.</summary>
    private readonly List<StoredChallenge> _challenges = [];

    /// <summary>Drops mailbox entries, led agreements and challenges whose agreement or challenge has expired.</summary>
    private void PruneExpired(DateTimeOffset now)
    {
        var dropped = _mailbox.RemoveAll(m => m.ExpiresAt <= now);
        dropped += _leading.RemoveAll(l => l.ExpiresAt <= now);
        dropped += _challenges.RemoveAll(c => c.ExpiresAt <= now);
        if (dropped > 0)
        {
            SessionChanged(now);
        }
    }

    /// <summary>After an entry was added or dropped: announces it on the live feed (memory only) and keeps the activation
    /// from idle collection until the last pending entry expires, or lets it go when none is left.</summary>
    private void SessionChanged(DateTimeOffset now)
    {
        RecordSessionEvents();
        var last = _leading.Select(l => l.ExpiresAt)
            .Concat(_mailbox.Select(m => m.ExpiresAt))
            .Concat(_challenges.Select(c => c.ExpiresAt))
            .DefaultIfEmpty(now)
            .Max();
        DelayDeactivation(last > now ? last - now : TimeSpan.Zero);
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (state.State.Parked is { } parked)
        {
            await TakeUpParked(parked);
        }
    }

    /// <summary>Takes up what an activation parked as its silo shut down: first the row is written without it (so one
    /// activation at most takes it up, and a later one never takes up what has moved on since in memory), then the entries
    /// are this activation's. A failed write fails the activation; the next one finds them still parked.</summary>
    private async Task TakeUpParked(ParkedWalletSession parked)
    {
        state.State.Parked = null;
        await Persist();
        var now = _time.GetUtcNow();
        _leading.AddRange(parked.Leading.Where(l => l.ExpiresAt > now));
        _mailbox.AddRange(parked.Mailbox.Where(m => m.ExpiresAt > now));
        _challenges.AddRange(parked.Challenges.Where(c => c.ExpiresAt > now));
        if (_leading.Count + _mailbox.Count + _challenges.Count > 0)
        {
            SessionChanged(now);
            LogTakenUp(logger, WalletId, _leading.Count, _mailbox.Count, _challenges.Count);
        }
    }

    /// <summary>On a shutdown in order with pre-S7 entries pending: puts them in the state, for the write that follows.
    /// True when there is something to write.</summary>
    private bool ParkIfShuttingDown(DeactivationReason reason)
    {
        var now = _time.GetUtcNow();
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown || !state.State.Registered
            || !(_leading.Any(l => l.ExpiresAt > now) || _mailbox.Any(m => m.ExpiresAt > now) || _challenges.Any(c => c.ExpiresAt > now)))
        {
            return false;
        }

        state.State.Parked = new ParkedWalletSession
        {
            Leading = [.. _leading.Where(l => l.ExpiresAt > now)],
            Mailbox = [.. _mailbox.Where(m => m.ExpiresAt > now)],
            Challenges = [.. _challenges.Where(c => c.ExpiresAt > now)],
        };
        return true;
    }

    private void ReportParked(bool parked)
    {
        if (parked && state.State.Parked is { } p)
        {
            LogParked(logger, WalletId, p.Leading.Count, p.Mailbox.Count, p.Challenges.Count);
        }
    }

    /// <summary>Logs the pre-S7 entries an activation takes with it when it goes before they ended (a silo's failure, a
    /// dropped activation, a shutdown whose write failed): their checkouts cannot go on and expire without payment.</summary>
    private void ReportSessionLost(DeactivationReason reason)
    {
        var now = _time.GetUtcNow();
        var pending = _leading.Count(l => l.ExpiresAt > now) + _challenges.Count(c => c.ExpiresAt > now);
        if (pending > 0)
        {
            LogSessionLost(logger, WalletId, pending, reason.ReasonCode.ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Wallet {Wallet}: wrote its pre-S7 entries as the silo shut down ({Leading} led agreements, {Mailbox} mailboxes, {Challenges} challenges), for the next activation (ADR 0024)")]
    private static partial void LogParked(ILogger logger, string wallet, int leading, int mailbox, int challenges);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wallet {Wallet}: took up the pre-S7 entries parked by a silo that shut down ({Leading} led agreements, {Mailbox} mailboxes, {Challenges} challenges)")]
    private static partial void LogTakenUp(ILogger logger, string wallet, int leading, int mailbox, int challenges);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wallet {Wallet}: deactivated ({Reason}) with {Count} pre-S7 entries held in memory only; they are lost (ADR 0018)")]
    private static partial void LogSessionLost(ILogger logger, string wallet, int count, string reason);
}
