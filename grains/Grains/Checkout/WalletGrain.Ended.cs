using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// The end of an agreement, kept in memory and written with the wallet's next write (ADR 0014). Nothing it changes is
/// money or a promise: the mailbox entries and the challenge it drops are held in memory only (WalletGrain.Session.cs)
/// and expire anyway, and the recent checkouts are a convenience list. So <see cref="AgreementEnded"/> writes nothing by
/// itself; its changes are applied to the state at once (reads, the live feed and the next write see them) and again
/// after every read of the row (a failed write's reload), until a write has stored them. A crash before that write may
/// drop a recent-checkouts entry; the deactivation writes them, best effort.
/// </summary>
public sealed partial class WalletGrain
{
    /// <summary>Endings applied in memory and not yet written, oldest first.</summary>
    private readonly List<EndedAgreement> _unsavedEnded = [];

    public Task AgreementEnded(string agreementId, string store, string checkoutId)
    {
        if (!state.State.Registered)
        {
            return Task.CompletedTask;
        }

        var now = _time.GetUtcNow();
        PruneExpired(now);
        if (DropSession(agreementId))
        {
            SessionChanged(now);
        }

        var ended = new EndedAgreement(agreementId, GrainKeys.Checkout(store, checkoutId));
        if (Apply(ended))
        {
            _unsavedEnded.Add(ended);

            // The live feed announces the end now (the web wallet waits for it); its numbers are written with the state.
            RecordEvents();
        }

        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        var park = ParkIfShuttingDown(reason);
        if ((park || _unsavedEnded.Count > 0) && state.State.Registered)
        {
            try
            {
                await Persist();
                ReportParked(park);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                if (_unsavedEnded.Count > 0)
                {
                    LogEndedNotSaved(logger, exception, WalletId, _unsavedEnded.Count);
                }

                ReportSessionLost(reason);
            }
        }
        else
        {
            ReportSessionLost(reason);
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>Applies the unsaved endings again to a state read from storage (idempotent: each ending drops its
    /// agreement's entries and moves its checkout to the front, so applying them in order gives the same list).</summary>
    private void ReapplyUnsavedEnded()
    {
        foreach (var ended in _unsavedEnded)
        {
            Apply(ended);
        }
    }

    /// <summary>Puts the ended agreement's checkout first in the recent checkouts; true when that changed them.</summary>
    private bool Apply(EndedAgreement ended)
    {
        var s = state.State;
        if (s.RecentCheckouts.Count > 0 && string.Equals(s.RecentCheckouts[0], ended.Checkout, StringComparison.Ordinal))
        {
            return false;
        }

        s.RecentCheckouts.Remove(ended.Checkout);
        s.RecentCheckouts.Insert(0, ended.Checkout);
        if (s.RecentCheckouts.Count > MaxRecentCheckouts)
        {
            s.RecentCheckouts.RemoveRange(MaxRecentCheckouts, s.RecentCheckouts.Count - MaxRecentCheckouts);
        }

        return true;
    }

    /// <summary>Drops the ended agreement's mailbox entries, its leading record and its challenge (memory only); true when
    /// any was held.</summary>
    private bool DropSession(string agreementId)
    {
        var dropped = _mailbox.RemoveAll(m => string.Equals(m.AgreementId, agreementId, StringComparison.Ordinal));
        dropped += _leading.RemoveAll(l => string.Equals(l.AgreementId, agreementId, StringComparison.Ordinal));
        dropped += _challenges.RemoveAll(c => string.Equals(c.Challenge.AgreementId, agreementId, StringComparison.Ordinal));
        return dropped > 0;
    }

    /// <summary>Writes the state with the unsaved endings (see <see cref="DurableState.WriteOrReloadAsync{T}"/>); after a
    /// failed write the row is read back and the endings are applied to it again.</summary>
    private async Task Persist()
    {
        ReapplyUnsavedEnded();
        RecordEvents();
        try
        {
            await state.WriteOrReloadAsync(this);
        }
        catch
        {
            ReapplyUnsavedEnded();
            throw;
        }

        _unsavedEnded.Clear();
    }

    /// <summary>An agreement that ended, and its checkout's key (<c>store|checkoutId</c>).</summary>
    private sealed record EndedAgreement(string AgreementId, string Checkout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wallet {Wallet}: {Count} ended agreements not written at deactivation (recent checkouts only, never money)")]
    private static partial void LogEndedNotSaved(ILogger logger, Exception exception, string wallet, int count);
}
