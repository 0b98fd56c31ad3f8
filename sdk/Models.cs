using System.Text.Json.Nodes;

namespace OrleansSettlement.Sdk;

// The API's answers as the SDK reads them (camelCase JSON). Signed messages and keys are JSON objects
// (System.Text.Json.Nodes), ready for the protocol library's parsers (Note.Parse, Agreement.Parse, ...).

/// <summary>A published public key: thumbprint, JWK and status (<c>active</c>, <c>retired</c>, <c>revoked</c>).</summary>
public sealed record PublishedKeyInfo(string Kid, JsonObject Jwk, string Status);

public sealed record InstitutionInfo(string Institution, string DisplayName, IReadOnlyList<PublishedKeyInfo> NoteKeys, PublishedKeyInfo MessagingKey, string CreatedAt);

/// <summary>A JWK Set: the institution's note keys that verify (each with kid, use and alg).</summary>
public sealed record KeySet(IReadOnlyList<JsonObject> Keys);

/// <summary>The owner of an account.</summary>
public enum AccountOwnerKind
{
    Wallet = 0,
    Store = 1,
}

public sealed record AccountInfo(
    string Institution,
    string Account,
    string OwnerKind,
    string Owner,
    string Currency,
    long BalanceMinor,
    long DepositedMinor,
    long WithdrawnMinor);

public sealed record StoreInfo(string Store, string DisplayName, string Institution, string Account, PublishedKeyInfo ChallengeKey, string CreatedAt);

/// <summary>The stages of a checkout as the API spells them.</summary>
public static class CheckoutStages
{
    public const string Open = "open";
    public const string AgreementProposed = "agreement_proposed";
    public const string Challenging = "challenging";
    public const string Settling = "settling";
    public const string Settled = "settled";
    public const string Aborted = "aborted";

    /// <summary>True for the stages a checkout never leaves.</summary>
    public static bool IsFinal(string stage) => stage is Settled or Aborted;
}

public sealed record CheckoutStepInfo(string Step, string At, string Detail);

/// <summary>A refusal's code and sentence.</summary>
public sealed record RefusalInfo(string Code, string Detail);

public sealed record PayeeInfo(string Institution, string Account);

public sealed record ReceiptLineInfo(string Wallet, string Institution, long PaidMinor, long ChangeMinor, IReadOnlyList<JsonObject> ChangeNotes);

public sealed record ReceiptInfo(
    string AgreementId,
    string Store,
    string OrderRef,
    string Currency,
    long TotalMinor,
    PayeeInfo Payee,
    IReadOnlyList<ReceiptLineInfo> Payers,
    string SettledAt);

/// <summary>A checkout: the store's request, its stage (<see cref="CheckoutStages"/>), the agreement, steps, abort reason, receipt.</summary>
public sealed record CheckoutInfo(
    string Store,
    string CheckoutId,
    string OrderRef,
    string Currency,
    long TotalMinor,
    string ExpiresAt,
    string ItemsHash,
    string Stage,
    string? AgreementId,
    JsonObject? Agreement,
    IReadOnlyList<CheckoutStepInfo> Steps,
    RefusalInfo? AbortReason,
    ReceiptInfo? Receipt);

public sealed record WalletInfo(string Wallet, JsonObject Key, string Institution, string Account, string CreatedAt);

/// <summary>A note of the wallet: the signed note, its state at its issuer (<c>outstanding</c>, <c>held</c>, <c>spent</c>).</summary>
public sealed record WalletNoteInfo(JsonObject Note, string State, string? AgreementId);

public sealed record WalletNotesInfo(IReadOnlyList<WalletNoteInfo> Notes);

public sealed record WithdrawalInfo(IReadOnlyList<JsonObject> Notes, AccountInfo Account);

/// <summary>A contribution (S1): the payer's agreement info, request info and notes, each the JSON object it signed.</summary>
public sealed record ContributionInfo(string Wallet, JsonObject AgreementInfo, JsonObject RequestInfo, IReadOnlyList<JsonObject> Notes);

public sealed record ContributionsInfo(string AgreementId, IReadOnlyList<ContributionInfo> Contributions);

/// <summary>The leader's mailbox took a contribution and holds this many for the agreement.</summary>
public sealed record ContributionReceipt(string AgreementId, string Wallet, int ContributionsHeld);

/// <summary>A challenge (S4) for the wallet and the checkout to answer at.</summary>
public sealed record ChallengeInfo(string Store, string CheckoutId, string AgreementId, JsonObject Challenge);

public sealed record ChallengesInfo(IReadOnlyList<ChallengeInfo> Challenges);

public sealed record CheckoutReference(string Store, string CheckoutId);

public sealed record RecentCheckoutsInfo(IReadOnlyList<CheckoutReference> Checkouts);

/// <summary>A participant the leader proposes: its public key (a JWK object), its bank and its share.</summary>
public sealed record ProposedParticipant(JsonObject Key, string Institution, long ShareMinor);
