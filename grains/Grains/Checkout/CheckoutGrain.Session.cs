using Orleans.Storage;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// The checkout session before S7 lives in the memory of the activation that opened the checkout; the row is written
/// at Open, at the S7 hand-off and when a checkout ends before S7 (ADR 0017).
/// </summary>
/// <remarks>
/// <para>Before S7 nothing is held anywhere (PROTOCOL-CHOICES "All or nothing" needs durability from S7 on), so a lost
/// session loses nothing but time. An activation that finds a row still before S7 and holds no session knows its session
/// was lost (its silo died, or the directory briefly ran a second activation): it ends the checkout with
/// <c>checkout_session_lost</c>, and the store opens a new one.</para>
/// <para>Every write is conditional on the row's ETag (Orleans' default), so of a hand-off and such an abort only the
/// first to be written lands; the other activation's write conflicts, it reads the row again and follows it, and only a
/// hand-off that landed is followed by <see cref="ISettlementGrain.Begin"/>.</para>
/// </remarks>
public sealed partial class CheckoutGrain : IIncomingGrainCallFilter
{
    /// <summary>How often the row is read back after a failed write before the activation gives up on its memory.</summary>
    private const int ReadBackAttempts = 3;

    /// <summary>True while this activation holds the checkout's session before S7: its memory is ahead of the row by
    /// design (the row says Open), and no other activation can move the session on; another can only end it.</summary>
    private bool _session;

    /// <summary>True after a write failed and the row could not be read back: what the row holds is unknown, so this
    /// activation answers nothing more and is dropped; the next one reads the row.</summary>
    private bool _unconfirmed;

    /// <summary>True while a fresh activation takes up a handed-off row: an outcome it finds is rebuilt, not new.</summary>
    private bool _rebuilding;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        await FollowRow();
    }

    /// <summary>Every call and the timers go through here: none is answered from a memory its row may contradict.</summary>
    Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext context) =>
        _unconfirmed ? throw Unconfirmed() : context.Invoke();

    private static bool BeforeS7(CheckoutStage stage) =>
        stage is CheckoutStage.Open or CheckoutStage.AgreementProposed or CheckoutStage.Challenging;

    /// <summary>
    /// Acts on the row as this activation reads it without a session: a row before S7 that an activation parked as its
    /// silo shut down is taken up (<see cref="TakeUpParkedSession"/>); any other row before S7 means its session was lost,
    /// so the checkout ends (<see cref="AbortLostSession"/>); a row in Settling (handed off) asks the settlement grain, whose
    /// <c>Begin</c> is idempotent and returns its view: a hand-off whose Begin never happened starts now, and the outcome
    /// of one that did is rebuilt from the settlement grain, where it is durable.
    /// </summary>
    private async Task FollowRow()
    {
        var s = state.State;
        if (!s.Created)
        {
            return;
        }

        if (BeforeS7(s.Stage))
        {
            if (_session)
            {
                ScheduleTimers();
            }
            else if (s.Parked)
            {
                await TakeUpParkedSession();
            }
            else
            {
                await AbortLostSession();
            }

            return;
        }

        if (s.Stage == CheckoutStage.Settling)
        {
            _rebuilding = true;
            try
            {
                await StartSettlement();
            }
            finally
            {
                _rebuilding = false;
            }
        }
    }

    /// <summary>Ends a checkout whose session before S7 was lost: one write, conditional on the row this activation read.</summary>
    private async Task AbortLostSession()
    {
        var s = state.State;
        var before = Snapshot();
        var now = Now;
        s.Stage = CheckoutStage.Aborted;
        s.AbortReason = Refusal.Of(ProtocolErrorCode.CheckoutSessionLost, $"checkout '{CheckoutId}' lost its session before S7 (the service restarted where it was kept); nothing was held: open a new checkout.");
        AddStep("S7", now, "the session was lost before S7; nothing was held");
        if (!await WriteOrFollow(before))
        {
            return;
        }

        LogEnded(logger, StoreId, CheckoutId, s.AgreementId ?? "", s.Stage, s.AbortReason.Code);
        await Ended();
    }

    /// <summary>
    /// Writes the state, conditional on the ETag this activation last read or wrote. True when written (also when the
    /// write's answer was lost but the row read back is this very write). False when another activation had written the
    /// row: the state is then the row's, this activation holds no session any more, and it has followed the row
    /// (<see cref="FollowRow"/>). When the write failed and the row is still as this activation last saw it, the memory
    /// goes back to <paramref name="before"/> (the session with it) and the failure is rethrown: the call fails and is
    /// retried.
    /// </summary>
    private async Task<bool> WriteOrFollow(CheckoutState before)
    {
        RecordEventMarks();
        var etag = state.Etag;
        var written = state.State;
        written.WriteId = Guid.NewGuid().ToString("N");
        try
        {
            await state.WriteStateAsync();
            return true;
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            _agreement = null;
            await ReadBackAfter(failure);
            if (string.Equals(state.State.WriteId, written.WriteId, StringComparison.Ordinal))
            {
                state.State = written;
                return true;
            }

            if (string.Equals(etag, state.Etag, StringComparison.Ordinal))
            {
                state.State = before;
                throw;
            }
        }

        _session = false;
        await FollowRow();
        return false;
    }

    /// <summary>Reads the row back after a failed write (a few tries: storage faults come in bursts). When it cannot be
    /// read, nothing this activation holds can be trusted: it answers nothing more, and the next one reads the row.</summary>
    private async Task ReadBackAfter(Exception failure)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await state.ReadStateAsync();
                return;
            }
            catch (Exception reloadFailure) when (reloadFailure is not OutOfMemoryException)
            {
                if (attempt < ReadBackAttempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
                    continue;
                }

                _unconfirmed = true;
                _session = false;
                StopTimer(ref _expiryTimer);
                StopTimer(ref _beginTimer);
                StopTimer(ref _outcomeTimer);
                DeactivateOnIdle();
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
        }
    }

    /// <summary>A copy of the state before a change that is to be written, to go back to if the write does not land.</summary>
    private CheckoutState Snapshot() => copier.Copy(state.State);

    /// <summary>After a change kept in memory only: the times the derived events need.</summary>
    private void Touched() => RecordEventMarks();

    /// <summary>Opened here: this activation holds the session, and is not collected on idle before the expiry.</summary>
    private void HoldSession()
    {
        _session = true;
        var left = state.State.ExpiresAt - Now;
        if (left > TimeSpan.Zero)
        {
            DelayDeactivation(left + _options.RetryPeriod);
        }
    }

    /// <summary>Handed off or ended: the session is durable or over, and the activation is collected as any other.</summary>
    private void ReleaseSession()
    {
        _session = false;
        DelayDeactivation(TimeSpan.Zero);
    }

    /// <summary>The answer after a write found the row moved on: its abort, or its view.</summary>
    private Reply<CheckoutView> Followed() =>
        state.State.Stage == CheckoutStage.Aborted ? Closed() : Reply<CheckoutView>.Ok(View());

    private InconsistentStateException Unconfirmed() =>
        new($"checkout '{this.GetPrimaryKeyString()}': a write failed and the row could not be read back; this activation is dropped, retry.");
}
