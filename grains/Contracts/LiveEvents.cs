namespace OrleansSettlement.Contracts;

/// <summary>
/// One event of a wallet's live feed (docs/api.md, "Live updates"): something arrived in its mailbox or changed in its
/// wallet. Recorded in the same durable write as the change itself (or kept in memory with a pre-S7 item, ADR 0018),
/// with a per-wallet number, so a client that reconnects with the last number it saw gets exactly the events it missed.
/// </summary>
/// <param name="Seq">The wallet's event number: increasing, never reused (ADR 0018).</param>
/// <param name="Type">One of <see cref="WalletEventTypes"/>.</param>
/// <param name="At">When the change was stored.</param>
/// <param name="AgreementId">The agreement concerned, when there is one.</param>
/// <param name="Store">The store concerned, when there is one.</param>
/// <param name="CheckoutId">The checkout concerned, when known.</param>
/// <param name="Wallet">For a contribution: the wallet that sent it.</param>
/// <param name="ChallengeJson">For a challenge: the store-signed challenge (canonical JSON text).</param>
/// <param name="Count">Contributions now held for the agreement, or notes received.</param>
/// <param name="Prev">The number given just before this one (0 for the wallet's first event, and in rows written before
/// ADR 0018): a client whose last number is not this event's <paramref name="Prev"/> missed something.</param>
[GenerateSerializer, Immutable, Alias("osettle.WalletEvent")]
public sealed record WalletEvent(
    [property: Id(0)] long Seq,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string? AgreementId,
    [property: Id(4)] string? Store,
    [property: Id(5)] string? CheckoutId,
    [property: Id(6)] string? Wallet,
    [property: Id(7)] string? ChallengeJson,
    [property: Id(8)] int Count,
    [property: Id(9)] long Prev);

/// <summary>The kinds of <see cref="WalletEvent"/>.</summary>
public static class WalletEventTypes
{
    /// <summary>This wallet proposed an agreement at a checkout: its mailbox now takes contributions for it.</summary>
    public const string AgreementLed = "agreement-led";

    /// <summary>S1: a payer's contribution arrived in the leader's mailbox.</summary>
    public const string Contribution = "contribution";

    /// <summary>S4: a store-signed challenge for this wallet.</summary>
    public const string Challenge = "challenge";

    /// <summary>Notes were issued to this wallet (a withdrawal, or change after S10).</summary>
    public const string Notes = "notes";

    /// <summary>A checkout this wallet took part in has ended (settled or aborted).</summary>
    public const string CheckoutEnded = "checkout-ended";
}

/// <summary>The wallet events after a given number, as far as they are still kept.</summary>
/// <param name="Latest">The number of the newest event (0 when there is none).</param>
/// <param name="Events">The events after the number asked for, oldest first.</param>
/// <param name="Gap">True when events after the number asked for are no longer kept (or the number is unknown): the
/// client reads the wallet's state again (GET) before it goes on with <see cref="Events"/>.</param>
[GenerateSerializer, Immutable, Alias("osettle.WalletEventsPage")]
public sealed record WalletEventsPage(
    [property: Id(0)] long Latest,
    [property: Id(1)] IReadOnlyList<WalletEvent> Events,
    [property: Id(2)] bool Gap);

/// <summary>A wallet that joined an open checkout, so the leader can name it in the agreement.</summary>
[GenerateSerializer, Immutable, Alias("osettle.JoinedPayer")]
public sealed record JoinedPayer(
    [property: Id(0)] string Wallet,
    [property: Id(1)] string PublicJwkJson,
    [property: Id(2)] string Institution,
    [property: Id(3)] DateTimeOffset At);

/// <summary>The kinds of <see cref="CheckoutEvent"/>.</summary>
public static class CheckoutEventTypes
{
    public const string Opened = "opened";

    public const string Joined = "joined";

    public const string Agreement = "agreement";

    public const string Step = "step";

    public const string Outcome = "outcome";
}

/// <summary>
/// One event of a checkout's live feed. Checkout events are derived from its stored state in a fixed order (opened,
/// each join, the agreement, each step, with the outcome at the place it happened), so their numbers are stable without
/// a separate log.
/// </summary>
[GenerateSerializer, Immutable, Alias("osettle.CheckoutEvent")]
public sealed record CheckoutEvent(
    [property: Id(0)] long Seq,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] CheckoutStep? Step,
    [property: Id(4)] JoinedPayer? Joined);

/// <summary>The checkout events after a given number, with the checkout as it is now.</summary>
/// <param name="View">The checkout now (its agreement, abort reason and receipt fill the events' data).</param>
/// <param name="Latest">The number of the newest event.</param>
/// <param name="Events">The events after the number asked for, oldest first.</param>
/// <param name="Gap">True when the number asked for is beyond <see cref="Latest"/> (not this checkout's).</param>
[GenerateSerializer, Immutable, Alias("osettle.CheckoutEventsPage")]
public sealed record CheckoutEventsPage(
    [property: Id(0)] CheckoutView View,
    [property: Id(1)] long Latest,
    [property: Id(2)] IReadOnlyList<CheckoutEvent> Events,
    [property: Id(3)] bool Gap);
