using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// The end of an agreement, kept in memory and written with the wallet's next write (ADR 0014). Nothing it changes is
/// money or a promise: the mailbox entries and the challenge it drops expire anyway (<c>PruneExpired</c>), and the recent
/// checkouts are a convenience list. So <see cref="AgreementEnded"/> writes nothing by itself; its changes are applied
/// to the state at once (reads, the live feed and the next write see them) and again after every read of the row, until a
/// write has stored them. A crash before that write may drop a recent-checkouts entry; the deactivation writes them, best
/// effort.
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

        PruneExpired(_time.GetUtcNow());
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
        if (_unsavedEnded.Count > 0 && state.State.Registered)
        {
            try
            {
                await Persist();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                LogEndedNotSaved(logger, exception, WalletId, _unsavedEnded.Count);
            }
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

    /// <summary>Drops the agreement's mailbox entries, its leading record and its challenge, and puts its checkout first
    /// in the recent checkouts; true when anything changed.</summary>
    private bool Apply(EndedAgreement ended)
    {
        var s = state.State;
        var changed = s.Mailbox.RemoveAll(m => string.Equals(m.AgreementId, ended.AgreementId, StringComparison.Ordinal)) > 0;
        changed |= s.Leading.RemoveAll(l => string.Equals(l.AgreementId, ended.AgreementId, StringComparison.Ordinal)) > 0;
        changed |= s.Challenges.RemoveAll(c => string.Equals(c.Challenge.AgreementId, ended.AgreementId, StringComparison.Ordinal)) > 0;
        if (s.RecentCheckouts.Count == 0 || !string.Equals(s.RecentCheckouts[0], ended.Checkout, StringComparison.Ordinal))
        {
            s.RecentCheckouts.Remove(ended.Checkout);
            s.RecentCheckouts.Insert(0, ended.Checkout);
            if (s.RecentCheckouts.Count > MaxRecentCheckouts)
            {
                s.RecentCheckouts.RemoveRange(MaxRecentCheckouts, s.RecentCheckouts.Count - MaxRecentCheckouts);
            }

            changed = true;
        }

        return changed;
    }

    /// <summary>Reads the row again (see <see cref="DurableState.RefreshAsync{T}"/>) and keeps the unsaved endings.</summary>
    private async Task<bool> RefreshAsync()
    {
        var moved = await state.RefreshAsync();
        ReapplyUnsavedEnded();
        return moved;
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
