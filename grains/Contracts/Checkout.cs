using Orleans.Concurrency;

namespace OrleansSettlement.Contracts;

/// <summary>What anyone may know about a store: where it is paid and the public key that signs its challenges.</summary>
[GenerateSerializer, Immutable, Alias("osettle.StoreProfile")]
public sealed record StoreProfile(
    [property: Id(0)] string StoreId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] string Institution,
    [property: Id(3)] string Account,
    [property: Id(4)] PublishedKey ChallengeKey,
    [property: Id(5)] DateTimeOffset CreatedAt);

/// <summary>A store: its profile and challenge key. Checkouts are grains of their own. Key: the store name.</summary>
[Alias("osettle.IStoreGrain")]
public interface IStoreGrain : IGrainWithStringKey
{
    /// <summary>Creates the store, paid into <paramref name="account"/> at <paramref name="institution"/> (which must exist
    /// and be owned by this store). Idempotent for the same content.</summary>
    /// <remarks><paramref name="storeTokenHash"/> is the base64url SHA-256 of the store's bearer token (the API makes the
    /// token and shows it once); the token itself never reaches a grain or storage.</remarks>
    [Alias("Create")]
    Task<Reply<StoreProfile>> Create(string displayName, string institution, string account, string storeTokenHash);

    /// <summary>True when <paramref name="storeTokenHash"/> is this store's credential.</summary>
    [Alias("IsStore"), ReadOnly]
    Task<bool> IsStore(string storeTokenHash);

    [Alias("GetProfile"), ReadOnly]
    Task<StoreProfile?> GetProfile();
}

/// <summary>One payer's contribution (S1, and the leader's own at S2): its agreement info, request info and notes,
/// as the signed JSON texts it made.</summary>
[GenerateSerializer, Immutable, Alias("osettle.Contribution")]
public sealed record Contribution(
    [property: Id(0)] string Wallet,
    [property: Id(1)] string AgreementInfoJson,
    [property: Id(2)] string RequestJson,
    [property: Id(3)] IReadOnlyList<string> NoteJsons);

[GenerateSerializer, Alias("osettle.CheckoutStage")]
public enum CheckoutStage
{
    /// <summary>Opened by the store; waiting for the leader to propose the agreement.</summary>
    Open = 0,

    /// <summary>The agreement is fixed; waiting for the leader's bundle (S2).</summary>
    AgreementProposed = 1,

    /// <summary>S3 passed and challenges were sent (S4); waiting for every response (S5, S6).</summary>
    Challenging = 2,

    /// <summary>S7 done: the banks are verifying and voting (S8, S9).</summary>
    Settling = 3,

    /// <summary>Every bank settled its part (S10).</summary>
    Settled = 4,

    /// <summary>Refused or aborted; nothing moved.</summary>
    Aborted = 5,
}

/// <summary>One step of the flow as it happened, for the store's and the payers' screens.</summary>
[GenerateSerializer, Immutable, Alias("osettle.CheckoutStep")]
public sealed record CheckoutStep(
    [property: Id(0)] string Step,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Detail);

/// <summary>A payer's line on a receipt: what it paid and the change it got back.</summary>
[GenerateSerializer, Immutable, Alias("osettle.ReceiptLine")]
public sealed record ReceiptLine(
    [property: Id(0)] string Wallet,
    [property: Id(1)] string Institution,
    [property: Id(2)] long PaidMinor,
    [property: Id(3)] long ChangeMinor,
    [property: Id(4)] IReadOnlyList<string> ChangeNoteJsons);

[GenerateSerializer, Immutable, Alias("osettle.Receipt")]
public sealed record Receipt(
    [property: Id(0)] string AgreementId,
    [property: Id(1)] string Store,
    [property: Id(2)] string OrderRef,
    [property: Id(3)] string Currency,
    [property: Id(4)] long TotalMinor,
    [property: Id(5)] string PayeeInstitution,
    [property: Id(6)] string PayeeAccount,
    [property: Id(7)] IReadOnlyList<ReceiptLine> Payers,
    [property: Id(8)] DateTimeOffset SettledAt);

[GenerateSerializer, Immutable, Alias("osettle.CheckoutView")]
public sealed record CheckoutView(
    [property: Id(0)] string Store,
    [property: Id(1)] string CheckoutId,
    [property: Id(2)] string OrderRef,
    [property: Id(3)] string Currency,
    [property: Id(4)] long TotalMinor,
    [property: Id(5)] DateTimeOffset ExpiresAt,
    [property: Id(6)] CheckoutStage Stage,
    [property: Id(7)] string? AgreementId,
    [property: Id(8)] string? AgreementJson,
    [property: Id(9)] IReadOnlyList<CheckoutStep> Steps,
    [property: Id(10)] Refusal? AbortReason,
    [property: Id(11)] Receipt? Receipt,
    [property: Id(12)] string ItemsHash);

/// <summary>What a store's request to open a checkout asks for (<see cref="ICheckoutGrain.OpenForRequest"/>).</summary>
/// <param name="RequestHash">The request's fingerprint, as the API's idempotency records compute it
/// (<see cref="IdempotencyKeys.RequestHash"/>): a retry carries the same one, another body another.</param>
/// <param name="OrderRef">The store's order reference.</param>
/// <param name="Currency">The ISO 4217 currency of the total.</param>
/// <param name="TotalMinor">The total, in minor units.</param>
/// <param name="ExpiresInSeconds">The checkout's lifetime, counted from the first attempt (1 s to 24 h).</param>
/// <param name="ItemsHash">The base64url SHA-256 of the item list or memo.</param>
[GenerateSerializer, Immutable, Alias("osettle.CheckoutOpening")]
public sealed record CheckoutOpening(
    [property: Id(0)] string RequestHash,
    [property: Id(1)] string OrderRef,
    [property: Id(2)] string Currency,
    [property: Id(3)] long TotalMinor,
    [property: Id(4)] long ExpiresInSeconds,
    [property: Id(5)] string ItemsHash);

/// <summary>The answer to a request to open a checkout: the checkout as it was opened (the same for every attempt of
/// the request, whatever happened to the checkout since), and whether an earlier attempt had opened it.</summary>
[GenerateSerializer, Immutable, Alias("osettle.OpenedCheckout")]
public sealed record OpenedCheckout(
    [property: Id(0)] CheckoutView AsOpened,
    [property: Id(1)] bool Replayed);

/// <summary>A participant of a proposed agreement: its public key (JWK text), its bank and its share.</summary>
[GenerateSerializer, Immutable, Alias("osettle.ProposedParticipant")]
public sealed record ProposedParticipant(
    [property: Id(0)] string PublicJwkJson,
    [property: Id(1)] string Institution,
    [property: Id(2)] long ShareMinor);

/// <summary>
/// A store's checkout session: S2-S7 and the checkout's story. Key: <see cref="GrainKeys.Checkout"/>. Before S7 the session
/// is kept in memory by the activation that opened the checkout; if it is lost, the checkout ends aborted with
/// <c>checkout_session_lost</c> and the store opens a new one (ADR 0017).
/// </summary>
[Alias("osettle.ICheckoutGrain")]
public interface ICheckoutGrain : IGrainWithStringKey
{
    /// <summary>Opens the checkout for <paramref name="totalMinor"/> in <paramref name="currency"/>. Idempotent for the same content.</summary>
    [Alias("Open")]
    Task<Reply<CheckoutView>> Open(string orderRef, string currency, long totalMinor, DateTimeOffset expiresAt, string itemsHash);

    /// <summary>
    /// Opens the checkout for one API request (<c>POST /v1/stores/{store}/checkouts</c>), whose Idempotency-Key the
    /// checkout's id is derived from: the checkout's one write at open also keeps the request's fingerprint and the
    /// expiry computed at the first attempt, so the checkout itself is the request's idempotency record (ADR 0022).
    /// The same request again answers <see cref="OpenedCheckout.Replayed"/> with the view as opened; another request
    /// for this id is refused <c>idempotency_key_reused</c>; a refusal writes nothing.
    /// </summary>
    [Alias("OpenForRequest")]
    Task<Reply<OpenedCheckout>> OpenForRequest(CheckoutOpening opening);

    [Alias("Get"), ReadOnly]
    Task<CheckoutView?> Get();

    /// <summary>
    /// Fixes the agreement for this checkout: the store, order, total, payee and expiry come from the checkout; the
    /// participants and shares from the leader. Returns the agreement JSON every payer then accepts. Idempotent for the
    /// same proposal; a different one once an agreement exists is <c>already_exists</c>.
    /// </summary>
    [Alias("ProposeAgreement")]
    Task<Reply<CheckoutView>> ProposeAgreement(string leaderWallet, IReadOnlyList<ProposedParticipant> participants);

    /// <summary>S2-S4: the leader's bundle of every payer's contribution. Checks S3 and each request and note as far as
    /// the store can, then sends each payer a fresh challenge. A refusal aborts nothing (nothing was held yet) and the
    /// checkout stays open for a corrected bundle.</summary>
    [Alias("SubmitBundle")]
    Task<Reply<CheckoutView>> SubmitBundle(string leaderWallet, IReadOnlyList<Contribution> contributions);

    /// <summary>S5-S7: one payer's response to its current challenge. When every response is valid, the package goes
    /// to the settlement grain (S7).</summary>
    [Alias("SubmitResponse")]
    Task<Reply<CheckoutView>> SubmitResponse(string wallet, string responseJson);

    /// <summary>From the settlement grain: the decision, then the receipt when every bank has settled.</summary>
    [Alias("OnOutcome"), OneWay]
    Task OnOutcome(SettlementView settlement);

    /// <summary>A registered wallet joins the open checkout (before the agreement), so the leader can name it. Idempotent.</summary>
    [Alias("Join")]
    Task<Reply<CheckoutView>> Join(string wallet, string publicJwkJson, string institution);

    /// <summary>S3 on one payer's word: a participant whose signed agreement info names another agreement than this
    /// checkout's ends the checkout before S7 (aborted, <c>agreement_mismatch</c>); nothing was held.</summary>
    [Alias("Decline")]
    Task<Reply<CheckoutView>> Decline(string wallet, string agreementInfoJson);

    /// <summary>The checkout's live events after <paramref name="after"/> (null when the checkout does not exist).</summary>
    [Alias("GetEvents"), ReadOnly]
    Task<CheckoutEventsPage?> GetEvents(long after);
}

/// <summary>What a wallet has registered: its key (its id is the key's thumbprint), bank and account.</summary>
[GenerateSerializer, Immutable, Alias("osettle.WalletProfile")]
public sealed record WalletProfile(
    [property: Id(0)] string WalletId,
    [property: Id(1)] string PublicJwkJson,
    [property: Id(2)] string Institution,
    [property: Id(3)] string Account,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>A challenge waiting in a wallet's mailbox (S4), with where to answer it.</summary>
[GenerateSerializer, Immutable, Alias("osettle.PendingChallenge")]
public sealed record PendingChallenge(
    [property: Id(0)] string Store,
    [property: Id(1)] string CheckoutId,
    [property: Id(2)] string AgreementId,
    [property: Id(3)] string ChallengeJson);

[GenerateSerializer, Immutable, Alias("osettle.WalletNote")]
public sealed record WalletNote(
    [property: Id(0)] string NoteJson,
    [property: Id(1)] NoteState State,
    [property: Id(2)] string? AgreementId);

/// <summary>
/// A client terminal's presence in the service: its registered key, its mailbox (contributions it receives as a
/// leader, challenges addressed to it), the notes issued to it and its recent checkouts. Private keys never reach it.
/// Key: the wallet id (the RFC 7638 thumbprint of its key).
/// </summary>
[Alias("osettle.IWalletGrain")]
public interface IWalletGrain : IGrainWithStringKey
{
    [Alias("Register")]
    Task<Reply<WalletProfile>> Register(string publicJwkJson, string institution, string account);

    [Alias("GetProfile"), ReadOnly]
    Task<WalletProfile?> GetProfile();

    /// <summary>
    /// Records that this wallet leads <paramref name="agreementId"/> (called by the checkout when the leader proposes it),
    /// so that its mailbox takes S1 contributions for that agreement and no other. Idempotent; refused when the wallet
    /// leads <c>MaxMailboxAgreements</c> live agreements already.
    /// </summary>
    [Alias("Lead")]
    Task<Reply<int>> Lead(string agreementId, string store, DateTimeOffset expiresAt);

    /// <summary>S1: another payer's contribution to an agreement this wallet leads. Checked for shape and that the
    /// sender is a participant and this wallet the leader; kept until the agreement ends. Idempotent per sender.</summary>
    [Alias("ReceiveContribution")]
    Task<Reply<int>> ReceiveContribution(Contribution contribution);

    [Alias("GetContributions"), ReadOnly]
    Task<IReadOnlyList<Contribution>> GetContributions(string agreementId);

    /// <summary>S4: a challenge for this wallet (replaces an older one for the same agreement).</summary>
    [Alias("DeliverChallenge")]
    Task DeliverChallenge(PendingChallenge challenge);

    [Alias("GetChallenges"), ReadOnly]
    Task<IReadOnlyList<PendingChallenge>> GetChallenges();

    /// <summary>Notes issued to this wallet (a withdrawal, or change after S10). Idempotent per serial.</summary>
    [Alias("ReceiveNotes")]
    Task ReceiveNotes(IReadOnlyList<string> noteJsons);

    /// <summary>The wallet's notes with their state at their issuer; spent ones are dropped from the wallet after this.</summary>
    [Alias("ListNotes")]
    Task<IReadOnlyList<WalletNote>> ListNotes();

    /// <summary>An agreement this wallet took part in has ended: drop its mailbox entries and remember the checkout.</summary>
    [Alias("AgreementEnded"), OneWay]
    Task AgreementEnded(string agreementId, string store, string checkoutId);

    /// <summary>The most recent checkouts this wallet took part in (store, checkout id), newest first; bounded.</summary>
    [Alias("GetRecentCheckouts"), ReadOnly]
    Task<IReadOnlyList<string>> GetRecentCheckouts();

    /// <summary>The wallet's live events after <paramref name="after"/> (see <see cref="WalletEvent"/>).</summary>
    [Alias("GetEvents"), ReadOnly]
    Task<WalletEventsPage> GetEvents(long after);
}

/// <summary>What the checkout hands the settlement grain at S7.</summary>
[GenerateSerializer, Immutable, Alias("osettle.SettlementStart")]
public sealed record SettlementStart(
    [property: Id(0)] string AgreementId,
    [property: Id(1)] string AgreementJson,
    [property: Id(2)] string Store,
    [property: Id(3)] string CheckoutId,
    [property: Id(4)] IReadOnlyList<PayerPackage> Payers,
    [property: Id(5)] IReadOnlyList<string> Institutions,
    [property: Id(6)] DateTimeOffset VoteDeadline)
{
    /// <summary>The W3C traceparent of the checkout's root span (null when untraced): the settlement grain's timers,
    /// reminders and bank requests join the checkout's trace with it.</summary>
    [Id(7)]
    public string? TraceParent { get; init; }
}

[GenerateSerializer, Alias("osettle.SettlementStage")]
public enum SettlementStage
{
    None = 0,
    Collecting = 1,
    Committed = 2,
    Aborted = 3,
    Completed = 4,
}

/// <summary>An institution's report that it has carried out the decision (settled on a commit, released on an abort).</summary>
[GenerateSerializer, Immutable, Alias("osettle.BankAcknowledgement")]
public sealed record BankAcknowledgement(
    [property: Id(0)] string Institution,
    [property: Id(1)] DecisionKind Kind,
    [property: Id(2)] IReadOnlyList<ReceiptLine> Payers);

[GenerateSerializer, Immutable, Alias("osettle.SettlementView")]
public sealed record SettlementView(
    [property: Id(0)] string AgreementId,
    [property: Id(1)] string Store,
    [property: Id(2)] string CheckoutId,
    [property: Id(3)] SettlementStage Stage,
    [property: Id(4)] IReadOnlyList<string> Institutions,
    [property: Id(5)] IReadOnlyList<string> Voted,
    [property: Id(6)] SettlementDecision? Decision,
    [property: Id(7)] IReadOnlyList<BankAcknowledgement> Acknowledgements)
{
    /// <summary>When the last institution acknowledged (stored by the settlement grain), null before: the checkout's
    /// receipt dates from it, so a receipt rebuilt by a fresh checkout activation carries the same time.</summary>
    [Id(8)]
    public DateTimeOffset? CompletedAt { get; init; }
}

/// <summary>
/// The settlement grain of one agreement (S9): it relays the institutions' signed results, persists exactly one
/// decision by the commit rule, alone may abort on timeout (by a reminder) before COMMIT, and delivers the decision
/// to every institution until each acknowledges. Key: the agreement id.
/// </summary>
[Alias("osettle.ISettlementGrain")]
public interface ISettlementGrain : IGrainWithStringKey
{
    /// <summary>S7: starts collecting votes and hands each institution its package. Idempotent.</summary>
    [Alias("Begin")]
    Task<Reply<SettlementView>> Begin(SettlementStart start);

    /// <summary>S9: an institution's signed result (JSON text). Returns the decision when it is known.</summary>
    [Alias("Vote")]
    Task<Reply<SettlementDecision?>> Vote(string resultJson);

    /// <summary>S10 done at one institution.</summary>
    [Alias("Acknowledge")]
    Task Acknowledge(BankAcknowledgement acknowledgement);

    [Alias("Get"), ReadOnly]
    Task<SettlementView?> Get();

    /// <summary>The persisted decision with the agreement it decides, or null while undecided (or never begun). A note
    /// held by the agreement reads it to know whether it is spent (ADR 0019); once returned it never changes.</summary>
    [Alias("ReadDecision"), ReadOnly]
    Task<DecidedAgreement?> ReadDecision();
}

/// <summary>A settlement's one decision and the agreement's text (whose hash is the agreement id), so that a reader can
/// check a COMMIT for itself: it carries every institution's signed VALID result, and the agreement names the
/// institutions (ADR 0019).</summary>
[GenerateSerializer, Immutable, Alias("osettle.DecidedAgreement")]
public sealed record DecidedAgreement(
    [property: Id(0)] string AgreementJson,
    [property: Id(1)] SettlementDecision Decision);
