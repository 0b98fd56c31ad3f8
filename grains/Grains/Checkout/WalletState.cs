using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// A wallet's presence as stored: its registration, the notes issued to it, its recent checkouts and the live events
/// about them. Bounded (see the limits on <see cref="WalletGrain"/>): notes and recent checkouts by count. What the
/// wallet holds for a checkout before S7 (the agreements it leads, its S1 mailbox, its S4 challenges) lives in the
/// activation's memory only (WalletGrain.Session.cs, ADR 0018), and is written only when its silo shuts down in order
/// (<see cref="Parked"/>, ADR 0024).
/// </summary>
[GenerateSerializer, Alias("osettle.WalletState")]
public sealed class WalletState
{
    [Id(0)]
    public bool Registered { get; set; }

    [Id(1)]
    public string PublicJwkJson { get; set; } = "";

    [Id(2)]
    public string Institution { get; set; } = "";

    [Id(3)]
    public string Account { get; set; } = "";

    [Id(4)]
    public DateTimeOffset CreatedAt { get; set; }

    // [Id(5)] retired: the S1 mailbox, [Id(6)] retired: the S4 challenges; both are kept in memory only (ADR 0018).

    /// <summary>Notes issued to this wallet, by serial.</summary>
    [Id(7)]
    public List<StoredNote> Notes { get; set; } = [];

    /// <summary>"store|checkoutId" of the checkouts it took part in, newest first.</summary>
    [Id(8)]
    public List<string> RecentCheckouts { get; set; } = [];

    // [Id(9)] retired: the agreements this wallet leads, kept in memory only (ADR 0018).

    /// <summary>The number of the newest live event given when the row was written (see <see cref="WalletEvent"/>);
    /// never goes back.</summary>
    [Id(10)]
    public long EventSeq { get; set; }

    /// <summary>The newest live events about stored items (notes, ended checkouts), at most
    /// <see cref="WalletGrain.MaxEvents"/>; events about the pre-S7 items are kept in memory only.</summary>
    [Id(11)]
    public List<WalletEvent> Events { get; set; } = [];

    /// <summary>Short hashes of the stored items already announced as events (only those still in the state), so each is
    /// announced once.</summary>
    [Id(12)]
    public List<string> AnnouncedKeys { get; set; } = [];

    /// <summary>What the wallet held for checkouts before S7 when its silo shut down in order, for the next activation to
    /// take up (ADR 0024); null otherwise, and again once one took it up.</summary>
    [Id(20)]
    public ParkedWalletSession? Parked { get; set; }
}

/// <summary>The pre-S7 entries of a wallet, written once as its silo shut down (ADR 0024).</summary>
[GenerateSerializer, Alias("osettle.ParkedWalletSession")]
public sealed class ParkedWalletSession
{
    [Id(0)]
    public List<LedAgreement> Leading { get; set; } = [];

    [Id(1)]
    public List<MailboxAgreement> Mailbox { get; set; } = [];

    [Id(2)]
    public List<StoredChallenge> Challenges { get; set; } = [];
}

/// <summary>The contributions received for one agreement (in the leader's memory only); the agreement is kept once
/// (every contribution carries the same one, by its id), each payer's agreement info as its acceptance.</summary>
[GenerateSerializer, Alias("osettle.MailboxAgreement")]
public sealed class MailboxAgreement
{
    [Id(0)]
    public string AgreementId { get; set; } = "";

    /// <summary>The agreement's canonical JSON text.</summary>
    [Id(1)]
    public string AgreementJson { get; set; } = "";

    [Id(2)]
    public DateTimeOffset ExpiresAt { get; set; }

    [Id(3)]
    public List<MailboxContribution> Contributions { get; set; } = [];
}

[GenerateSerializer, Alias("osettle.MailboxContribution")]
public sealed class MailboxContribution
{
    [Id(0)]
    public string Wallet { get; set; } = "";

    /// <summary>The participant's position in the agreement, so contributions are listed in the agreement's order.</summary>
    [Id(1)]
    public int ParticipantIndex { get; set; }

    [Id(2)]
    public string AcceptanceJson { get; set; } = "";

    [Id(3)]
    public string RequestJson { get; set; } = "";

    [Id(4)]
    public List<string> NoteJsons { get; set; } = [];

    /// <summary>Content ids of acceptance, request and notes (never signature bytes), to recognize a repeat.</summary>
    [Id(5)]
    public string ContentKey { get; set; } = "";

    public long Characters => AcceptanceJson.Length + RequestJson.Length + NoteJsons.Sum(n => (long)n.Length);
}

/// <summary>A challenge addressed to this wallet (S4), in its memory only.</summary>
[GenerateSerializer, Alias("osettle.StoredChallenge")]
public sealed class StoredChallenge
{
    [Id(0)]
    public PendingChallenge Challenge { get; set; } = null!;

    [Id(1)]
    public DateTimeOffset ExpiresAt { get; set; }

    [Id(2)]
    public string ChallengeId { get; set; } = "";
}

/// <summary>A note issued to the wallet, by its key at the issuer only: the signed text is read from its
/// <c>NoteGrain</c> when the notes are listed, so a wallet at its note cap stays far below 64 KB (ADR 0014).</summary>
[GenerateSerializer, Alias("osettle.StoredNote")]
public sealed class StoredNote
{
    [Id(0)]
    public string Serial { get; set; } = "";

    [Id(1)]
    public string Issuer { get; set; } = "";

    // [Id(2)] retired: the note's canonical JSON text, no longer kept here (its NoteGrain holds it; ADR 0014).
}

/// <summary>An agreement a wallet leads, until it ends or expires (in its memory only).</summary>
[GenerateSerializer, Alias("osettle.LedAgreement")]
public sealed class LedAgreement
{
    [Id(0)]
    public string AgreementId { get; set; } = "";

    [Id(1)]
    public DateTimeOffset ExpiresAt { get; set; }

    [Id(2)]
    public string Store { get; set; } = "";

    /// <summary>The W3C traceparent of the checkout's root span (null when untraced), so that S1 contributions join the
    /// checkout's trace.</summary>
    [Id(3)]
    public string? TraceParent { get; set; }
}
