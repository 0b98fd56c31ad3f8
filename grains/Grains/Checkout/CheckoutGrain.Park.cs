using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// A session before S7 outlives a silo that shuts down in order (a rolling deploy, a scale-in): the activation writes
/// it to the row as it goes, marked <see cref="CheckoutState.Parked"/>, and the next activation takes it up (ADR 0024).
/// A silo that dies still takes its sessions with it (ADR 0017).
/// </summary>
/// <remarks>
/// <para>The park write is conditional on the ETag this activation holds, like every write of the row, so it cannot
/// overwrite another activation's hand-off or abort. Taking up is a write too (<c>Parked</c> back to false, conditional),
/// so a parked session is taken up by one activation at most, and a row left parked is never taken up a second time
/// after the activation that took it up died: that one's progress since lived in its memory only, and the row would take
/// the checkout back in time; the session counts as lost then, as before.</para>
/// <para>Only the reason <see cref="DeactivationReasonCode.ShuttingDown"/> parks. An idle activation holds no session
/// (a session delays its collection until the expiry), and other reasons are failures whose memory is not trusted.</para>
/// </remarks>
public sealed partial class CheckoutGrain
{
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown && _session && !_unconfirmed && BeforeS7(state.State.Stage))
        {
            await Park();
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <summary>Writes the session to the row for the next activation. A failed write leaves the session lost, as a silo's
    /// death would: the next activation ends the checkout with <c>checkout_session_lost</c>.</summary>
    private async Task Park()
    {
        var s = state.State;
        RecordEventMarks();
        s.Parked = true;
        s.WriteId = Guid.NewGuid().ToString("N");
        try
        {
            await state.WriteStateAsync();
            _session = false;
            LogParked(logger, StoreId, CheckoutId, s.Stage);
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            s.Parked = false;
            LogNotParked(logger, failure, StoreId, CheckoutId, s.Stage);
        }
    }

    /// <summary>Takes up a session an activation parked as its silo shut down: one write (<c>Parked</c> back to false,
    /// conditional on the row as read), then this activation holds the session as the one that opened it did.</summary>
    private async Task TakeUpParkedSession()
    {
        var before = Snapshot();
        state.State.Parked = false;
        if (!await WriteOrFollow(before))
        {
            return;
        }

        HoldSession();
        ScheduleTimers();
        LogTakenUp(logger, StoreId, CheckoutId, state.State.Stage);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: its session ({Stage}, before S7) was written to storage as the silo shut down, for the next activation to take up")]
    private static partial void LogParked(ILogger logger, string store, string checkoutId, CheckoutStage stage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkout {Store}/{CheckoutId}: its session ({Stage}, before S7) could not be written as the silo shut down; it is lost and the checkout will end with checkout_session_lost")]
    private static partial void LogNotParked(ILogger logger, Exception exception, string store, string checkoutId, CheckoutStage stage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: took up the session ({Stage}) parked by a silo that shut down")]
    private static partial void LogTakenUp(ILogger logger, string store, string checkoutId, CheckoutStage stage);
}
