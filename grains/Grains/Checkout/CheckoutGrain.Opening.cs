using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// Opening a checkout for an API request is the request's own idempotency record (ADR 0022): the checkout's id is derived
/// from the store and the request's Idempotency-Key by the API, and the one write of the opening keeps the request's
/// fingerprint and the expiry computed at the first attempt. Every later attempt of the request, concurrent or after a
/// crash, reaches this same grain and gets the checkout as it was opened.
/// </summary>
public sealed partial class CheckoutGrain : IRemindable
{
    /// <summary>The name of the expiry reminder that checkouts registered before ADR 0017.</summary>
    public const string LegacyReminderName = "checkout";

    public async Task<Reply<OpenedCheckout>> OpenForRequest(CheckoutOpening opening)
    {
        ArgumentNullException.ThrowIfNull(opening);
        if (state.State.Created)
        {
            return AnswerAgain(opening.RequestHash);
        }

        if (string.IsNullOrEmpty(opening.RequestHash))
        {
            return Reply<OpenedCheckout>.Fail(ProtocolErrorCode.InvalidField, "an opening names the fingerprint of its request.");
        }

        if (CheckOpening(opening.OrderRef, opening.Currency, opening.TotalMinor, opening.ItemsHash) is { } invalid)
        {
            return Reply<OpenedCheckout>.Fail(invalid);
        }

        if (opening.ExpiresInSeconds < 1 || opening.ExpiresInSeconds > (long)MaxLifetime.TotalSeconds)
        {
            return Reply<OpenedCheckout>.Fail(ProtocolErrorCode.InvalidField, $"expiresInSeconds must be 1 to {(long)MaxLifetime.TotalSeconds}.");
        }

        // The expiry counts from this first attempt; it is stored with the checkout, so every retry answers with it.
        var expiry = Timestamps.Truncate(Now) + TimeSpan.FromSeconds(opening.ExpiresInSeconds);
        var opened = await WriteOpening(opening.OrderRef, opening.Currency, opening.TotalMinor, expiry, opening.ItemsHash, opening.RequestHash);
        if (opened is null)
        {
            // Another activation opened it meanwhile (a concurrent attempt, or another request for this id).
            return await OpenForRequest(opening);
        }

        return opened.IsOk
            ? Reply<OpenedCheckout>.Ok(new OpenedCheckout(AsOpened(), Replayed: false))
            : Reply<OpenedCheckout>.Fail(opened.Refusal!);
    }

    /// <summary>
    /// Called for a reminder this grain no longer registers: checkouts registered an expiry reminder named
    /// <see cref="LegacyReminderName"/> before ADR 0017, and rows of an older deployment may still hold one. The reminder is
    /// removed (the activation itself has already followed its row: a session from before the upgrade is lost and ended).
    /// </summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (await this.GetReminder(reminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
            LogLegacyReminderRemoved(logger, StoreId, CheckoutId, reminderName);
        }
    }

    /// <summary>An attempt of a request after the checkout exists: the same request gets the checkout as it was opened,
    /// any other request for this id is refused as a reused Idempotency-Key (nothing is written either way).</summary>
    private Reply<OpenedCheckout> AnswerAgain(string requestHash) =>
        state.State.OpenRequestHash is { } opened && string.Equals(opened, requestHash, StringComparison.Ordinal)
            ? Reply<OpenedCheckout>.Ok(new OpenedCheckout(AsOpened(), Replayed: true))
            : Reply<OpenedCheckout>.Fail(ProtocolErrorCode.IdempotencyKeyReused, IdempotencyKeys.ReusedDetail);

    /// <summary>The checkout as the opening answered it (open, no agreement, no steps): from the stored opening only, so
    /// that a replay is the first answer whatever the checkout went through since.</summary>
    private CheckoutView AsOpened()
    {
        var s = state.State;
        return new CheckoutView(StoreId, CheckoutId, s.OrderRef, s.Currency, s.TotalMinor, s.ExpiresAt, CheckoutStage.Open, null, null, [], null, null, s.ItemsHash);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: legacy reminder {Reminder} removed")]
    private static partial void LogLegacyReminderRemoved(ILogger logger, string store, string checkoutId, string reminder);
}
