using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// Where one bank part stands, as stored: <see cref="None"/>, then <see cref="VotedValid"/> (the holds, the signed result
/// and the whole S10 plan, one write) or <see cref="VotedInvalid"/>, then <see cref="Released"/> on an abort. A commit
/// writes nothing here: its durable record is the settlement grain's decision and completion (ADR 0013).
/// <see cref="Verifying"/>, <see cref="Settling"/> and <see cref="Settled"/> are written no more; rows written before
/// ADR 0013 may hold them and are still carried out (Settling: the plan after a verified commit).
/// </summary>
[GenerateSerializer, Alias("osettle.banking.BankPartProgress")]
public enum BankPartProgress
{
    None = 0,
    Verifying = 1,
    VotedValid = 2,
    VotedInvalid = 3,
    Settling = 4,
    Settled = 5,
    Released = 6,
}

/// <summary>One payer of this bank, as S8 found it: what it pays, what its notes hold and where its change goes.</summary>
[GenerateSerializer, Alias("osettle.banking.BankPayerPart")]
public sealed class BankPayerPart
{
    [Id(0)]
    public string Wallet { get; set; } = "";

    [Id(1)]
    public long ShareMinor { get; set; }

    /// <summary>The sum of the notes it presented (at least its share).</summary>
    [Id(2)]
    public long NotesMinor { get; set; }

    [Id(3)]
    public string ChangeTo { get; set; } = "";

    [Id(4)]
    public List<string> Serials { get; set; } = [];
}

/// <summary>The sum of the shares of one payer bank's payers (from the agreement).</summary>
[GenerateSerializer, Alias("osettle.banking.InstitutionShare")]
public sealed class InstitutionShare
{
    [Id(0)]
    public string Institution { get; set; } = "";

    [Id(1)]
    public long ShareMinor { get; set; }
}

/// <summary>A change note of the S10 plan: its serial and content are fixed when the plan is written, so a retry
/// never mints a second one.</summary>
[GenerateSerializer, Alias("osettle.banking.ChangePlan")]
public sealed class ChangePlan
{
    [Id(0)]
    public string Wallet { get; set; } = "";

    [Id(1)]
    public string Serial { get; set; } = "";

    [Id(2)]
    public long AmountMinor { get; set; }

    /// <summary>The key the change note is issued to (the request's <c>changeTo</c>).</summary>
    [Id(3)]
    public string Holder { get; set; } = "";

    [Id(4)]
    public string Kid { get; set; } = "";

    [Id(5)]
    public DateTimeOffset IssuedAt { get; set; }

    [Id(6)]
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The issued note's text in rows written before ADR 0013 (recorded with <see cref="BankPartProgress.Settled"/>);
    /// null since: the note grain keeps the issued text.</summary>
    [Id(7)]
    public string? NoteJson { get; set; }
}

/// <summary>
/// What this bank owes (negative) or is owed (positive) by another bank for one agreement, in minor units of the
/// agreement's currency. Over all bank parts of a settled agreement the positions net to zero.
/// </summary>
[GenerateSerializer, Alias("osettle.banking.InterbankPosition")]
public sealed class InterbankPosition
{
    [Id(0)]
    public string Counterparty { get; set; } = "";

    [Id(1)]
    public string Currency { get; set; } = "";

    [Id(2)]
    public long AmountMinor { get; set; }
}

[GenerateSerializer, Alias("osettle.banking.BankAgreementState")]
public sealed class BankAgreementState
{
    [Id(0)]
    public BankPartProgress Stage { get; set; }

    // What S8 established (from the signed agreement and this bank's payers' packages).
    [Id(1)]
    public string Store { get; set; } = "";

    [Id(2)]
    public string Currency { get; set; } = "";

    [Id(3)]
    public long TotalMinor { get; set; }

    [Id(4)]
    public string PayeeInstitution { get; set; } = "";

    [Id(5)]
    public string PayeeAccount { get; set; } = "";

    /// <summary>Every institution taking part, from the agreement (payer banks and the payee bank), sorted.</summary>
    [Id(6)]
    public List<string> Institutions { get; set; } = [];

    [Id(7)]
    public List<InstitutionShare> Shares { get; set; } = [];

    [Id(8)]
    public List<BankPayerPart> Payers { get; set; } = [];

    /// <summary>Every serial this part holds or may hold (from the intent on): released on abort; spent by the commit
    /// itself, the note rows saying held by this agreement (ADR 0019).</summary>
    [Id(9)]
    public List<string> Serials { get; set; } = [];

    /// <summary>The signed verification result this bank sent (S9); with a VALID one, the S10 plan below in the same write.</summary>
    [Id(10)]
    public string? ResultJson { get; set; }

    [Id(11)]
    public string? InvalidReason { get; set; }

    // The S10 plan, written with the VALID result (S8) in one write before any effect; Decision, DecidedAt and FinishedAt
    // are written on an abort only (and by rows of before ADR 0013, which wrote the plan at the commit).
    [Id(12)]
    public DecisionKind? Decision { get; set; }

    [Id(13)]
    public DateTimeOffset? DecidedAt { get; set; }

    [Id(14)]
    public List<ChangePlan> Changes { get; set; } = [];

    /// <summary>The credit to the payee account (payee bank only: the agreement's total), zero otherwise.</summary>
    [Id(15)]
    public long CreditMinor { get; set; }

    [Id(16)]
    public List<InterbankPosition> Positions { get; set; } = [];

    [Id(17)]
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The W3C traceparent of the checkout's root span, from the verify request (null when untraced), so that
    /// retries by timer or reminder join the checkout's trace.</summary>
    [Id(18)]
    public string? TraceParent { get; set; }

    /// <summary>True when <see cref="Changes"/>, <see cref="CreditMinor"/> and <see cref="Positions"/> were fixed with the
    /// VALID result (S8). False in a VotedValid row written before ADR 0013: the plan is then fixed and written at the
    /// commit, before any effect.</summary>
    [Id(19)]
    public bool Planned { get; set; }
}
