using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Banking;

/// <summary>One note a withdrawal mints: its serial (fixed when the withdrawal is planned) and its amount.</summary>
[GenerateSerializer, Alias("osettle.banking.PlannedNote")]
public sealed class PlannedNote
{
    [Id(0)]
    public string Serial { get; set; } = "";

    [Id(1)]
    public long AmountMinor { get; set; }
}

/// <summary>
/// A remembered operation (deposit or withdrawal) by its operation id: the hash of what was asked, the account's totals
/// right after it (the first answer), and for a withdrawal its whole plan, persisted with the debit in one write so that
/// a retry mints exactly the same notes.
/// </summary>
[GenerateSerializer, Alias("osettle.banking.AccountOperation")]
public sealed class AccountOperation
{
    public const string DepositKind = "deposit";
    public const string WithdrawKind = "withdraw";

    [Id(0)]
    public string OperationId { get; set; } = "";

    [Id(1)]
    public string Kind { get; set; } = "";

    /// <summary>base64url SHA-256 of the request's content; the same id with another hash is <c>idempotency_key_reused</c>.</summary>
    [Id(2)]
    public string RequestHash { get; set; } = "";

    [Id(3)]
    public DateTimeOffset At { get; set; }

    [Id(4)]
    public long BalanceMinor { get; set; }

    [Id(5)]
    public long DepositedMinor { get; set; }

    [Id(6)]
    public long WithdrawnMinor { get; set; }

    /// <summary>Withdrawal: false from the plan until every note is issued and delivered.</summary>
    [Id(7)]
    public bool Done { get; set; }

    [Id(8)]
    public List<PlannedNote> Notes { get; set; } = [];

    /// <summary>Withdrawal: the holder (wallet key thumbprint), the note key version and the validity of its notes.</summary>
    [Id(9)]
    public string Holder { get; set; } = "";

    [Id(10)]
    public string Kid { get; set; } = "";

    [Id(11)]
    public DateTimeOffset IssuedAt { get; set; }

    [Id(12)]
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// A settlement credit the account remembers (ADR 0020), so that a retried or late copy of the credit call is recognized
/// and credits nothing. While its settlement is not known to be complete it keeps the full agreement id (to ask the
/// settlement grain, and to compare exactly); once it is, only its <see cref="Key"/> and amount, in a
/// <see cref="SettledCreditBucket"/> (ADR 0021), until the grace has passed.
/// </summary>
[GenerateSerializer, Alias("osettle.banking.RememberedCredit")]
public sealed class RememberedCredit
{
    /// <summary>The agreement id while the settlement is not known to be complete; null once it is.</summary>
    [Id(0)]
    public string? AgreementId { get; set; }

    [Id(1)]
    public long AmountMinor { get; set; }

    /// <summary>When the credit was applied while <see cref="AgreementId"/> is kept; once it is dropped, when the account
    /// learned that the settlement completed (the start of the grace).</summary>
    [Id(2)]
    public DateTimeOffset At { get; set; }

    // [Id(3)] is retired: ForgottenAt, when the bank part's Forget came (before ADR 0013). Never reuse it.

    /// <summary>The first 8 bytes of SHA-256 over the account's <see cref="AccountState.CreditSalt"/> and the agreement id
    /// (<c>AccountGrain.CreditKey</c>); 0 in rows written before ADR 0020 (then filled from the id on activation).</summary>
    [Id(4)]
    public long Key { get; set; }

    /// <summary>True while the settlement is not known to be complete (the full id is kept).</summary>
    public bool InFlight => AgreementId is not null;
}

[GenerateSerializer, Alias("osettle.banking.AccountState")]
public sealed class AccountState
{
    [Id(0)]
    public bool Opened { get; set; }

    [Id(1)]
    public OwnerKind OwnerKind { get; set; }

    [Id(2)]
    public string Owner { get; set; } = "";

    [Id(3)]
    public string Currency { get; set; } = "";

    [Id(4)]
    public long BalanceMinor { get; set; }

    /// <summary>Money that entered the system here (operators' deposits).</summary>
    [Id(5)]
    public long DepositedMinor { get; set; }

    /// <summary>Money that left the system here (a future cash-out). Withdrawing into notes is not leaving: notes remain
    /// the bank's liability.</summary>
    [Id(6)]
    public long WithdrawnMinor { get; set; }

    [Id(7)]
    public DateTimeOffset OpenedAt { get; set; }

    /// <summary>Recent operations, oldest first; bounded (see <see cref="AccountGrain"/>). Unfinished withdrawals are
    /// never dropped.</summary>
    [Id(8)]
    public List<AccountOperation> Operations { get; set; } = [];

    /// <summary>Credits whose settlement is not known to be complete (ADR 0020), oldest first: bounded by the credits in
    /// flight, not by the credit rate. Rows written before ADR 0021 also hold completed credits here, by key only; they move
    /// to <see cref="SettledCredits"/> when the account activates.</summary>
    [Id(9)]
    public List<RememberedCredit> Credits { get; set; } = [];

    /// <summary>A random secret of this account that keys <see cref="RememberedCredit.Key"/>, so that nobody can choose an
    /// agreement id whose key collides with another's (0 until the first credit).</summary>
    [Id(10)]
    public long CreditSalt { get; set; }

    /// <summary>Credits whose settlement completed, by key and amount, until the grace has passed (ADR 0020), in buckets of
    /// 16 bytes per credit (ADR 0021).</summary>
    [Id(11)]
    public List<SettledCreditBucket> SettledCredits { get; set; } = [];

    /// <summary>How many credits <see cref="SettledCredits"/> holds.</summary>
    public int SettledCreditCount => SettledCredits.Sum(b => b.Count);
}
