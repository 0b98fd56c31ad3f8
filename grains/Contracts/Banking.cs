using Orleans.Concurrency;

namespace OrleansSettlement.Contracts;

/// <summary>The life of a published key version: new notes use the active one; retired ones still verify until
/// their notes expire; revoked ones never verify again.</summary>
[GenerateSerializer, Alias("osettle.KeyStatus")]
public enum KeyStatus
{
    Active = 0,
    Retired = 1,
    Revoked = 2,
}

/// <summary>A public key an institution publishes: its RFC 7638 thumbprint, the public JWK (JSON text) and status.</summary>
[GenerateSerializer, Immutable, Alias("osettle.PublishedKey")]
public sealed record PublishedKey(
    [property: Id(0)] string Kid,
    [property: Id(1)] string PublicJwkJson,
    [property: Id(2)] KeyStatus Status);

/// <summary>What anyone may know about an institution: its name and its published keys.</summary>
[GenerateSerializer, Immutable, Alias("osettle.InstitutionProfile")]
public sealed record InstitutionProfile(
    [property: Id(0)] string InstitutionId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] IReadOnlyList<PublishedKey> NoteKeys,
    [property: Id(3)] PublishedKey MessagingKey,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>
/// A bank (financial institution). Its grain holds only the bank's profile and key material; accounts, notes
/// and its part in each agreement are grains of their own, so unrelated checkouts never queue behind it.
/// Key: the institution name.
/// </summary>
[Alias("osettle.IInstitutionGrain")]
public interface IInstitutionGrain : IGrainWithStringKey
{
    /// <summary>Creates the institution with a fresh note key and messaging key. Idempotent: creating it again with
    /// the same display name returns the existing profile; another display name is <c>already_exists</c>.</summary>
    /// <remarks><paramref name="operatorTokenHash"/> is the base64url SHA-256 of the bank operator's bearer token; the
    /// token itself never reaches a grain or storage.</remarks>
    [Alias("Create")]
    Task<Reply<InstitutionProfile>> Create(string displayName, string operatorTokenHash);

    /// <summary>True when <paramref name="operatorTokenHash"/> is this institution's operator credential.</summary>
    [Alias("IsOperator"), ReadOnly]
    Task<bool> IsOperator(string operatorTokenHash);

    /// <summary>The profile, or null when the institution does not exist.</summary>
    [Alias("GetProfile"), ReadOnly]
    Task<InstitutionProfile?> GetProfile();

    /// <summary>Makes a new note key version active; the active one becomes <see cref="KeyStatus.Retired"/> (its notes
    /// still verify until they expire). Returns the profile with every key version.</summary>
    [Alias("RotateNoteKey")]
    Task<Reply<InstitutionProfile>> RotateNoteKey();

    /// <summary>Revokes a retired note key version: its notes stop verifying (everywhere within the profile caches'
    /// lifetimes). The active version cannot be revoked (rotate first): <c>invalid_field</c>; an unknown kid is
    /// <c>unknown_key</c>. Revoking a revoked key again returns the profile.</summary>
    [Alias("RevokeNoteKey")]
    Task<Reply<InstitutionProfile>> RevokeNoteKey(string kid);
}

/// <summary>Who owns an account: a wallet (by wallet id) or a store (by store name).</summary>
[GenerateSerializer, Alias("osettle.OwnerKind")]
public enum OwnerKind
{
    Wallet = 0,
    Store = 1,
}

[GenerateSerializer, Immutable, Alias("osettle.AccountView")]
public sealed record AccountView(
    [property: Id(0)] string Institution,
    [property: Id(1)] string Account,
    [property: Id(2)] OwnerKind OwnerKind,
    [property: Id(3)] string Owner,
    [property: Id(4)] string Currency,
    [property: Id(5)] long BalanceMinor,
    [property: Id(6)] long DepositedMinor,
    [property: Id(7)] long WithdrawnMinor);

/// <summary>Notes issued by a withdrawal, as signed JSON texts, and the account afterwards.</summary>
[GenerateSerializer, Immutable, Alias("osettle.Withdrawal")]
public sealed record Withdrawal(
    [property: Id(0)] IReadOnlyList<string> NoteJsons,
    [property: Id(1)] AccountView Account);

/// <summary>
/// An account at an institution, in one currency. Money enters the system here (deposits, from the edge), leaves
/// it into e-money (withdrawals into notes for the owner's wallet key) and is credited by settlements. Every
/// mutating call carries an operation id and is idempotent: the same id with the same content returns the first
/// answer; with other content it is <c>idempotency_key_reused</c>. Key: <see cref="GrainKeys.Account"/>.
/// </summary>
[Alias("osettle.IAccountGrain")]
public interface IAccountGrain : IGrainWithStringKey
{
    [Alias("Open")]
    Task<Reply<AccountView>> Open(OwnerKind ownerKind, string owner, string currency);

    [Alias("Get"), ReadOnly]
    Task<AccountView?> Get();

    /// <summary>Cash in at the edge (a bank operator's deposit).</summary>
    [Alias("Deposit")]
    Task<Reply<AccountView>> Deposit(string operationId, long amountMinor);

    /// <summary>
    /// Turns part of the balance into notes of the given denominations (minor units, 1 to 64 notes), held by the
    /// owner wallet's key. The wallet chooses denominations that fit its coming shares, so that change is rare. Only
    /// the owner wallet may ask (the API checks the request signature; the grain checks the holder is the owner).
    /// </summary>
    [Alias("Withdraw")]
    Task<Reply<Withdrawal>> Withdraw(string operationId, IReadOnlyList<long> denominationsMinor, string holderJwkJson);

    /// <summary>Credits a settled agreement's amount (S10, payee bank). Idempotent by agreement id: the account remembers
    /// a credit until its settlement has completed and a grace has passed (ADR 0020), so a retry or a late copy of this
    /// call credits nothing; the same agreement with another amount is <c>idempotency_key_reused</c>.</summary>
    [Alias("ApplyCredit")]
    Task<Reply<AccountView>> ApplyCredit(string agreementId, long amountMinor);

    /// <summary>The settlement grain's word, sent once its completion is durable (every bank acknowledged), that no bank
    /// part runs S10 for <paramref name="agreementId"/> again: the account may forget that credit after a grace (ADR 0020).
    /// One-way and writes nothing; a lost call is made up for by the account asking the settlement grain later.</summary>
    [Alias("CreditSettled"), OneWay]
    Task CreditSettled(string agreementId);

    /// <summary>Retired (ADR 0013): nothing calls it and it changes nothing; kept so that the contract only grows.</summary>
    [Alias("Forget"), OneWay]
    Task Forget(string agreementId);
}

[GenerateSerializer, Alias("osettle.NoteState")]
public enum NoteState
{
    Outstanding = 0,
    Held = 1,
    Spent = 2,
}

/// <summary>A note as its issuer answers for it: <see cref="State"/> is <see cref="NoteState.Spent"/> also when the row
/// still says held by <see cref="AgreementId"/> and that agreement committed (ADR 0019).</summary>
[GenerateSerializer, Immutable, Alias("osettle.NoteView")]
public sealed record NoteView(
    [property: Id(0)] string NoteJson,
    [property: Id(1)] NoteState State,
    [property: Id(2)] string? AgreementId);

/// <summary>
/// One e-money note at its issuer: the single place where "held" and "spent" are decided, so two agreements can
/// never hold or spend the same note (the grain serializes them). A note held by an agreement is spent when that
/// agreement commits: the settlement grain's one decision spends it, and the note reads that decision when it is next
/// asked about (ADR 0019). Key: <see cref="GrainKeys.Note"/>.
/// </summary>
[Alias("osettle.INoteGrain")]
public interface INoteGrain : IGrainWithStringKey
{
    /// <summary>Records a note the institution has signed. Idempotent for the same note text.</summary>
    [Alias("Issue")]
    Task<Reply<NoteView>> Issue(string noteJson);

    /// <summary>The note, or null when never issued. A held note reads its agreement's decision (once per activation).</summary>
    [Alias("Get"), ReadOnly]
    Task<NoteView?> Get();

    /// <summary>Holds the note for an agreement: <c>unknown_note</c>, <c>note_already_spent</c> or
    /// <c>note_held_elsewhere</c> otherwise. Holding it again for the same agreement succeeds.</summary>
    [Alias("Hold")]
    Task<Reply<NoteView>> Hold(string agreementId);

    /// <summary>Releases a hold of this agreement (an abort). When held by it or outstanding, the note then refuses this
    /// agreement's holds for a while (a late copy); no effect when held by another agreement or spent, including held by
    /// this agreement after it committed.</summary>
    [Alias("Release")]
    Task<Reply<NoteView>> Release(string agreementId);

    /// <summary>Records that the note is spent by this agreement: succeeds when the agreement held it and committed (its
    /// settlement grain holds a COMMIT that verifies), or spent it already; <c>unknown_agreement</c> while it holds the
    /// note undecided. Nothing in the checkout calls it since ADR 0019 (the COMMIT spends the held notes); kept so that
    /// the contract only grows, and as the explicit form of what any request about a committed hold writes.</summary>
    [Alias("Spend")]
    Task<Reply<NoteView>> Spend(string agreementId);
}

/// <summary>One payer's part of the S7 package, as the signed JSON texts the store checked.</summary>
[GenerateSerializer, Immutable, Alias("osettle.PayerPackage")]
public sealed record PayerPackage(
    [property: Id(0)] string Wallet,
    [property: Id(1)] string Institution,
    [property: Id(2)] IReadOnlyList<string> NoteJsons,
    [property: Id(3)] string RequestJson,
    [property: Id(4)] string ChallengeJson,
    [property: Id(5)] string ResponseJson);

/// <summary>
/// What the settlement grain hands each institution at S7: the agreement, the payers that bank with it (none for a
/// payee-only bank), the store (whose challenge key signed the challenges), and every institution taking part.
/// </summary>
[GenerateSerializer, Immutable, Alias("osettle.VerifyRequest")]
public sealed record VerifyRequest(
    [property: Id(0)] string AgreementId,
    [property: Id(1)] string AgreementJson,
    [property: Id(2)] string Store,
    [property: Id(3)] IReadOnlyList<PayerPackage> Payers,
    [property: Id(4)] IReadOnlyList<string> Institutions)
{
    /// <summary>The W3C traceparent of the checkout's root span (null when untraced), kept by the bank part so that its
    /// retries (S9, S10) join the checkout's trace.</summary>
    [Id(5)]
    public string? TraceParent { get; init; }
}

[GenerateSerializer, Alias("osettle.DecisionKind")]
public enum DecisionKind
{
    Commit = 0,
    Abort = 1,
}

/// <summary>
/// The one decision the settlement grain persists for an agreement. A commit carries every institution's signed
/// VALID result (JSON texts), which each institution verifies itself before it settles; an abort carries the
/// INVALID result that caused it, or none for a timeout, and a reason code.
/// </summary>
[GenerateSerializer, Immutable, Alias("osettle.SettlementDecision")]
public sealed record SettlementDecision(
    [property: Id(0)] string AgreementId,
    [property: Id(1)] DecisionKind Kind,
    [property: Id(2)] IReadOnlyList<string> ResultJsons,
    [property: Id(3)] string? AbortReason,
    [property: Id(4)] DateTimeOffset DecidedAt);

[GenerateSerializer, Alias("osettle.BankPartStage")]
public enum BankPartStage
{
    None = 0,
    VotedValid = 1,
    VotedInvalid = 2,
    Settling = 3,
    Settled = 4,
    Released = 5,
}

[GenerateSerializer, Immutable, Alias("osettle.BankPartView")]
public sealed record BankPartView(
    [property: Id(0)] string Institution,
    [property: Id(1)] string AgreementId,
    [property: Id(2)] BankPartStage Stage,
    [property: Id(3)] string? ResultJson,
    [property: Id(4)] IReadOnlyList<string> ChangeNoteJsons);

/// <summary>
/// One institution's part in one agreement: S8 (verify again, hold the notes, sign a result, persist the whole S10 plan
/// with it in one write), S9 (send it to the settlement grain) and S10 (on a commit it verified itself: mint change,
/// credit the payee, from the plan; the held notes are spent by the commit itself, ADR 0019; on an abort: release). Key:
/// <see cref="GrainKeys.BankAgreement"/>.
/// </summary>
[Alias("osettle.IBankAgreementGrain")]
public interface IBankAgreementGrain : IGrainWithStringKey
{
    /// <summary>S8 and S9. One-way: the result reaches the settlement grain by <see cref="ISettlementGrain.Vote"/>.
    /// Idempotent: a second call re-sends the stored result.</summary>
    [Alias("Verify"), OneWay]
    Task Verify(VerifyRequest request);

    /// <summary>S10. One-way: completion reaches the settlement grain by <see cref="ISettlementGrain.Acknowledge"/>.
    /// Idempotent and safe to repeat after a crash.</summary>
    [Alias("Decide"), OneWay]
    Task Decide(SettlementDecision decision);

    /// <summary>S10 of an ABORT, with this institution's part of the S7 package (as <see cref="Verify"/> received it): a
    /// bank part persists nothing before its holds, so one that stopped between its holds and its vote knows the serials
    /// to release only from the package. One-way, idempotent; completion reaches the settlement grain by
    /// <see cref="ISettlementGrain.Acknowledge"/>.</summary>
    [Alias("Abort"), OneWay]
    Task Abort(SettlementDecision decision, VerifyRequest package);

    [Alias("Get"), ReadOnly]
    Task<BankPartView> Get();
}
