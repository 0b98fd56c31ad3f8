using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// One checkout session as stored. Bounded: at most <see cref="Protocol.Messages.Agreement.MaxParticipants"/> payers,
/// <see cref="CheckoutGrain.MaxNotesPerBundle"/> notes in all and <see cref="CheckoutGrain.MaxSteps"/> steps, so the row
/// stays far below Azure Table storage's limit for one grain (about 960 KB). The agreement is stored once; each
/// payer's agreement info is kept as its acceptance only (the agreement part is the same for all, by S3).
/// </summary>
[GenerateSerializer, Alias("osettle.CheckoutState")]
public sealed class CheckoutState
{
    [Id(0)]
    public bool Created { get; set; }

    [Id(1)]
    public string OrderRef { get; set; } = "";

    [Id(2)]
    public string Currency { get; set; } = "";

    [Id(3)]
    public long TotalMinor { get; set; }

    /// <summary>Whole seconds (the wire form), so it is exactly the agreement's expiry.</summary>
    [Id(4)]
    public DateTimeOffset ExpiresAt { get; set; }

    [Id(5)]
    public string ItemsHash { get; set; } = "";

    [Id(6)]
    public CheckoutStage Stage { get; set; }

    [Id(7)]
    public string? AgreementId { get; set; }

    /// <summary>The agreement's canonical JSON text.</summary>
    [Id(8)]
    public string? AgreementJson { get; set; }

    /// <summary>From S4 on: one entry per participant, in the agreement's order.</summary>
    [Id(9)]
    public List<PayerSession> Payers { get; set; } = [];

    /// <summary>The content hash of the accepted bundle (content ids, never signature bytes), to recognize a retry.</summary>
    [Id(10)]
    public string? BundleFingerprint { get; set; }

    [Id(11)]
    public List<CheckoutStep> Steps { get; set; } = [];

    [Id(12)]
    public Refusal? AbortReason { get; set; }

    [Id(13)]
    public Receipt? Receipt { get; set; }

    /// <summary>Fixed at S7 (in the same write as the last response), so every retry of Begin sends the same start.</summary>
    [Id(14)]
    public DateTimeOffset? VoteDeadline { get; set; }

    [Id(15)]
    public DateTimeOffset OpenedAt { get; set; }

    /// <summary>Institutions whose vote (S8), decision (S9) and acknowledgement (S10) are already among the steps.</summary>
    [Id(16)]
    public List<string> VotesSeen { get; set; } = [];

    [Id(17)]
    public bool DecisionSeen { get; set; }

    [Id(18)]
    public List<string> AcknowledgementsSeen { get; set; } = [];

    /// <summary>The W3C traceparent of the checkout's root span (null when nobody traced its opening), so that every
    /// later step joins the checkout's trace (Diagnostics/CheckoutTelemetry.cs).</summary>
    [Id(23)]
    public string? TraceParent { get; set; }
    /// <summary>Wallets that joined while the checkout was open (at most <see cref="CheckoutGrain.MaxJoined"/>).</summary>
    [Id(19)]
    public List<JoinedPayer> Joined { get; set; } = [];

    /// <summary>When the agreement was first stored (for its live event).</summary>
    [Id(20)]
    public DateTimeOffset? AgreementAt { get; set; }

    /// <summary>How many steps there were when the checkout ended, so its outcome event keeps its place among later
    /// steps (an abort's S10 releases) and every event keeps its number.</summary>
    [Id(21)]
    public int? OutcomeAfterSteps { get; set; }

    [Id(22)]
    public DateTimeOffset? OutcomeAt { get; set; }

    /// <summary>A fresh id with each write, so that an activation whose write failed can tell its own write (landed, the
    /// answer lost) from another activation's when it reads the row back (ADR 0017).</summary>
    [Id(24)]
    public string? WriteId { get; set; }

    /// <summary>The fingerprint of the API request that opened the checkout (<see cref="CheckoutOpening.RequestHash"/>),
    /// null when it was opened by a direct grain call: the checkout's open write is that request's idempotency record
    /// (ADR 0022).</summary>
    [Id(25)]
    public string? OpenRequestHash { get; set; }

    /// <summary>True when the row holds a session before S7 that an activation wrote as its silo shut down, for the next
    /// activation to take up (ADR 0024); false again once one took it up.</summary>
    [Id(30)]
    public bool Parked { get; set; }
}

/// <summary>One payer of a checkout from S4 on: what it contributed, its current challenge and its answer.</summary>
[GenerateSerializer, Alias("osettle.PayerSession")]
public sealed class PayerSession
{
    [Id(0)]
    public string Wallet { get; set; } = "";

    [Id(1)]
    public string Institution { get; set; } = "";

    [Id(2)]
    public string AcceptanceJson { get; set; } = "";

    [Id(3)]
    public string RequestJson { get; set; } = "";

    [Id(4)]
    public List<string> NoteJsons { get; set; } = [];

    /// <summary>The current challenge; replaced (with a fresh nonce) only when it expired unanswered.</summary>
    [Id(5)]
    public string ChallengeJson { get; set; } = "";

    [Id(6)]
    public DateTimeOffset ChallengeExpiresAt { get; set; }

    [Id(7)]
    public string? ResponseJson { get; set; }

    /// <summary>The valid response's content id (never its signature bytes), to recognize a repeat.</summary>
    [Id(8)]
    public string? ResponseId { get; set; }
}
