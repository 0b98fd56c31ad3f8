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
    IReadOnlyDictionary<string, double> GrainCallsByMethod);

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
    IReadOnlyList<string> Failures);

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
    IReadOnlyList<PhaseReport> Phases);

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
