using OrleansSettlement.Chaos.Faults;

namespace OrleansSettlement.Chaos.Scenarios;

/// <summary>What a scenario does besides an honest checkout.</summary>
public enum ScenarioKind
{
    /// <summary>Every payer does everything right.</summary>
    Honest,

    /// <summary>One payer's agreement info is for a different agreement (refused at S3), then the correct bundle.</summary>
    MismatchedAgreement,

    /// <summary>One payer presents a note signed by a key that is not its bank's (refused at S3), then its real notes.</summary>
    ForgedNote,

    /// <summary>A second checkout presents a note the first one spent: it must not settle.</summary>
    DoubleSpentNote,

    /// <summary>One payer's first response is signed by another key (refused at S5), then the right one.</summary>
    BadResponse,

    /// <summary>One payer answers after its challenge expired (refused), the leader sends the same bundle again for fresh
    /// challenges, and everyone answers.</summary>
    LateResponse,

    /// <summary>Two checkouts at once present the same note: at most one settles.</summary>
    RacingCheckouts,

    /// <summary>One payer vanishes mid-challenge and never answers: the checkout expires and nothing is held.</summary>
    VanishingPayer,
}

/// <summary>The protocol step after which a scheduled silo kill happens.</summary>
public enum KillPoint
{
    AfterProposal,
    AfterBundle,

    /// <summary>Right after the last response (S7 has started: the banks are verifying).</summary>
    AfterS7,

    /// <summary>A moment after S7, while S8-S10 run.</summary>
    DuringSettlement,
}

/// <summary>One payer: its bank (index into the scenario's banks), its share and the notes it withdraws to pay it.</summary>
public sealed record PayerSpec(int Bank, long ShareMinor, IReadOnlyList<long> NotesMinor)
{
    public long NotesTotalMinor => NotesMinor.Sum();
}

/// <summary>A silo killed without a graceful stop at a protocol step, and started again after <paramref name="DowntimeMs"/>.</summary>
public sealed record SiloKill(KillPoint At, int Silo, int DelayMs, int DowntimeMs);

/// <summary>The faults scheduled for one scenario (drawn from its seed).</summary>
public sealed record FaultSchedule(
    StorageFaultRates Storage,
    double DuplicateRate,
    int MaxReorderDelayMs,
    double ClientRetryRate,
    SiloKill? Kill,
    bool RestartAzurite);

/// <summary>
/// One scenario, fully determined by the run's seed and its index: the parties (payer banks, the store's bank, 2-5
/// payers with shares and notes: an agreement has at least two), what goes wrong on purpose (<see cref="Kind"/>,
/// <see cref="Adversary"/>; for a race or a double spend, the <see cref="Accomplice"/> who joins the adversary in the
/// second checkout) and the fault schedule.
/// </summary>
public sealed record ScenarioSpec(
    int Index,
    int Seed,
    ScenarioKind Kind,
    int PayerBanks,
    int StoreBank,
    IReadOnlyList<PayerSpec> Payers,
    int Adversary,
    PayerSpec? Accomplice,
    FaultSchedule Faults)
{
    /// <summary>The prefix of every name the scenario makes.</summary>
    public string Prefix => FaultBoard.ScenarioPrefix(Index);

    public long TotalMinor => Payers.Sum(p => p.ShareMinor);

    /// <summary>Banks in the scenario: the payer banks, and the store's own when it banks elsewhere.</summary>
    public int Banks => Math.Max(PayerBanks, StoreBank + 1);

    public string Describe() =>
        $"{Kind}, {Payers.Count} payer(s) at {PayerBanks} bank(s), store at bank {StoreBank}, total {TotalMinor}"
        + (Faults.Kill is { } kill ? $", kill silo {kill.Silo} {kill.At}" : "")
        + (Faults.RestartAzurite ? ", Azurite restart" : "");
}
