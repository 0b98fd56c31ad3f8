using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansSettlement.Bench.Report;

/// <summary>What one checkout cost on average in a phase, counted by instrumentation over whole checkouts (opening to S10
/// and the bookkeeping after it), divided by the checkouts the phase started. <see cref="WritesBySite"/> names each write
/// "grain type &lt;- the grain method it happened in"; <see cref="GrainCallsByMethod"/> counts calls per method;
/// <see cref="KeyVaultOpsByOperation"/> splits the Key Vault client's operations into <c>Sign</c> and <c>GetKey</c>.</summary>
public sealed record CostReport(
    int Checkouts,
    double WritesPerCheckout,
    double GrainStateWritesPerCheckout,
    double ReminderWritesPerCheckout,
    double? StorageRequestWritesPerCheckout,
    IReadOnlyDictionary<string, double> WritesByGrain,
    double VerificationsPerCheckout,
    double SignsPerCheckout,
    double AppSignsPerCheckout,
    double KeyVaultOpsPerCheckout,
    IReadOnlyDictionary<string, double> KeyVaultOpsByOperation,
    double GrainCallsPerCheckout,
    IReadOnlyDictionary<string, double> GrainCallsByInterface,
    IReadOnlyDictionary<string, double> WritesBySite,
    IReadOnlyDictionary<string, double> GrainCallsByMethod)
{
    /// <summary>Azure Table read requests (point reads and queries) per checkout, by table, counted at the Azure SDK's
    /// HTTP pipeline (Azurite mode only; empty with memory storage).</summary>
    public IReadOnlyDictionary<string, double> StorageReadsByTable { get; init; } = new Dictionary<string, double>();
}

/// <summary>One load phase: what was offered, what settled, the S2-to-S10 latencies and the costs.</summary>
public sealed record PhaseReport(
    string Name,
    double? OfferedRate,
    int MaxInFlight,
    double DurationSeconds,
    int Started,
    int Settled,
    int Aborted,
    int Failed,
    int LateStarts,
    bool RanOutOfNotes,
    double CheckoutsPerSecond,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    CostReport Costs,
    IReadOnlyList<string> Failures)
{
    /// <summary>The bench process's CPU time (silo, simulated apps and the bench itself, every thread) per checkout of
    /// the phase, from its start to the end of its drain: unlike checkouts/s, it barely moves with other processes' load.</summary>
    public double CpuMsPerCheckout { get; init; }

    /// <summary>Where the slowest checkouts spent their time (only with <c>--tail</c>).</summary>
    public TailReport? Tail { get; init; }
}

/// <summary>
/// Where the slowest <see cref="SlowCount"/> settled checkouts of a phase (those at or above <see cref="SlowFromMs"/>)
/// spent their S2-to-S10 time, beside the same figures for all of them, and the GC pauses of the phase
/// (<c>settle bench --tail</c>). <see cref="Examples"/> are the slowest checkouts' step timelines: <c>step/where@start+duration</c>
/// in ms from the leader's submit.
/// </summary>
public sealed record TailReport(
    int Checkouts,
    int SlowCount,
    double SlowFromMs,
    TailProfile Slowest,
    TailProfile All,
    int GcPauses,
    double GcPauseTotalMs,
    double GcPauseMaxMs,
    IReadOnlyDictionary<string, int> GcPausesByGeneration,
    IReadOnlyList<string> Examples)
{
    /// <summary>How many of the slowest checkouts had a GC pause inside their S2-to-S10 time.</summary>
    public int SlowOverlappingGc { get; init; }

    /// <summary>How many of all the settled checkouts had a GC pause inside their S2-to-S10 time.</summary>
    public int AllOverlappingGc { get; init; }

    /// <summary>Managed bytes allocated in the whole process (silo and simulated apps) per checkout of the phase, in MB.</summary>
    public double AllocatedMbPerCheckout { get; init; }

    /// <summary>The managed heap after the last GC, in MB.</summary>
    public double HeapMb { get; init; }

    /// <summary>The types allocated most in the phase, as shares of the runtime's allocation samples.</summary>
    public IReadOnlyList<string> TopAllocations { get; init; } = [];

    /// <summary>Grain-state and reminder-table operations of the phase that took 10 ms or more, by kind.</summary>
    public IReadOnlyList<string> SlowStorageOperations { get; init; } = [];

    /// <summary>The longest GC pauses of the phase.</summary>
    public IReadOnlyList<string> Pauses { get; init; } = [];

    /// <summary>The largest state written in the phase per grain type, in bytes as the silo's serializer encodes it, from
    /// one write in <see cref="Hosting.CountingGrainStorage.SizeSampling"/>: a state that every write copies whole.</summary>
    public IReadOnlyDictionary<string, long> LargestStateBytes { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// Mean figures over a set of checkouts: the latency; the time each step ran (the union of its spans, wherever it ran;
/// nested steps count in both); the time no step of the checkout ran anywhere (waiting in a queue, for a timer, for the
/// apps) and the longest such wait, with how often it came before each step; retry ticks; GC pauses inside the checkout.
/// </summary>
public sealed record TailProfile(
    double LatencyMs,
    IReadOnlyDictionary<string, double> StepMs,
    double IdleMs,
    double LongestWaitMs,
    IReadOnlyDictionary<string, int> LongestWaitBefore,
    double RetryTicks,
    double GcOverlapMs);

/// <summary>
/// One storage mode: the headline figures (throughput from the saturating phase, latencies from the half-peak phase,
/// costs from the saturating phase), this machine's limits measured in the same run, the ratios, and every phase.
/// </summary>
public sealed record ModeReport(
    string Storage,
    string Path,
    string Layout,
    double CheckoutsPerSecond,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double WritesPerCheckout,
    double VerificationsPerCheckout,
    double SignsPerCheckout,
    double KeyVaultOpsPerCheckout,
    double GrainCallsPerCheckout,
    double CryptoRatio,
    double StorageRatio,
    double VerificationsPerSecond,
    double RawWritesPerSecond,
    int RawWriteConcurrency,
    IReadOnlyDictionary<string, double> WritesByGrain,
    IReadOnlyList<PhaseReport> Phases)
{
    /// <summary>The process CPU time of one ES256 verification, measured with the verifications per second.</summary>
    public double VerificationCpuMicroseconds { get; init; }

    /// <summary>The saturating phase's <see cref="PhaseReport.CpuMsPerCheckout"/>.</summary>
    public double CpuMsPerCheckout { get; init; }

    /// <summary>
    /// The share of a checkout's CPU time that its verifications take: verifications per checkout × <see
    /// cref="VerificationCpuMicroseconds"/> ÷ <see cref="CpuMsPerCheckout"/>. The crypto ratio reaches it when the bench
    /// has the cores to itself; on a shared machine it is the steadier of the two.
    /// </summary>
    public double CryptoCpuShare { get; init; }
}

/// <summary>The hot-grain comparison: the same offered load (the one that saturates 8 stores at 4 banks) on 8 stores at
/// 4 banks and on 1 store whose payers all bank at its one bank.</summary>
public sealed record HotGrainReport(string Storage, double OfferedRate, PhaseReport Spread, PhaseReport Hot, double Ratio);

/// <summary>The bounded-state run: the largest state written per grain type and the silo's memory after idle deactivation.</summary>
public sealed record BoundedStateReport(
    int NotesIssued,
    int Checkouts,
    IReadOnlyDictionary<string, long> LargestStateBytes,
    long LargestStateBytesOverall,
    long ManagedMemoryBeforeBytes,
    long ManagedMemoryAfterIdleBytes,
    long WorkingSetAfterIdleBytes);

/// <summary>A target of the performance issue and whether this run met it.</summary>
public sealed record TargetReport(string Target, string Measured, bool Met);

/// <summary>Where and under what load the figures were taken.</summary>
public sealed record MachineReport(int Cores, string Os, string Runtime, bool ServerGc, double[] LoadAverageBefore, double[] LoadAverageAfter);

/// <summary>The whole bench run, printed as a table or (with --json) as this one JSON document.</summary>
public sealed record BenchReport(
    DateTimeOffset StartedAt,
    double DurationSeconds,
    MachineReport Machine,
    string KeyVault,
    IReadOnlyDictionary<string, ModeReport> Modes,
    HotGrainReport? HotGrains,
    BoundedStateReport? BoundedState,
    IReadOnlyList<TargetReport> Targets,
    IReadOnlyList<string> Problems)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}
