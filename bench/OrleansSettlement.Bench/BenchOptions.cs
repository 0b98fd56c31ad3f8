using System.CommandLine;

namespace OrleansSettlement.Bench;

/// <summary>
/// The options and help text of <c>settle bench</c>, in one place for both programs that parse them: the CLI (so that
/// <c>./settle bench --help</c> and option errors need no silo) and the bench host it launches (this file is compiled into
/// both; it needs System.CommandLine only).
/// </summary>
internal sealed class BenchOptions
{
    /// <summary>How long an interrupted bench host may take to stop what it started (silo, Azurite) before System.CommandLine
    /// abandons its action. Its default, 2 s, returned 130 while the run went on: the bench host then stayed up (its silo's
    /// threads keep the process alive) and the launching CLI, abandoned the same way, exited and left it running.</summary>
    public static readonly TimeSpan StopBudget = TimeSpan.FromSeconds(90);

    public const string Description =
        "Measure how fast and how cheaply group checkouts settle: starts Azurite (in memory, free ports) and a real silo "
        + "(SiloConfiguration) in the bench process, creates banks, stores and payers, and runs an open-loop load of whole group "
        + "checkouts (open, propose, S1 contributions, S2 bundle, S4/S5 challenges answered at once by simulated apps, S10) "
        + "through the grains, in each storage mode. Prints settled checkouts/s, the S2-to-S10 latency p50/p95/p99, the cost "
        + "of one checkout counted by instrumentation (durable writes by grain type, ES256 verifications and signs, Key Vault "
        + "operations, grain calls), this machine's ES256 verifications/s and raw grain-state writes/s measured in the same "
        + "run, the crypto and storage ratios, and the performance targets met or missed (docs/performance.md).\n"
        + "Exit codes: 0 every checkout settled and every counter that cannot be zero is not; 1 a checkout failed or "
        + "aborted, a counter read zero or two counts disagree (the reasons are printed); 2 wrong options or the bench "
        + "could not set itself up; 130 interrupted.";

    public Option<int> Duration { get; } = new("--duration") { Description = "Seconds each measured phase runs (1 to 3600).", DefaultValueFactory = _ => 20 };

    public Option<int> Payers { get; } = new("--payers") { Description = "Payers per checkout, N (1 to 16).", DefaultValueFactory = _ => 3 };

    public Option<int> Banks { get; } = new("--banks") { Description = "Payer banks, K (1 to 16); payers are spread over them round-robin.", DefaultValueFactory = _ => 2 };

    public Option<int> Stores { get; } = new("--stores") { Description = "Stores, S (1 to 64); checkout i goes to store i mod S.", DefaultValueFactory = _ => 1 };

    public Option<bool> StoresAtPayerBanks { get; } = new("--stores-at-payer-banks") { Description = "Put the stores at the payer banks instead of a bank of their own." };

    public Option<double?> Rate { get; } = new("--rate") { Description = "Offered checkouts per second (open loop). Without it: a saturating phase, then an open-loop phase at half the throughput it found." };

    public Option<int> Concurrency { get; } = new("--concurrency") { Description = "At most this many checkouts in flight; also the concurrency of the raw-write measurement.", DefaultValueFactory = _ => 64 };

    public Option<string> Storage { get; } = new("--storage") { Description = "azurite, memory, or both (memory first).", DefaultValueFactory = _ => "both" };

    public Option<string> Path { get; } = new("--path") { Description = "How the apps reach the service: grain (an in-process Orleans client making the calls the API makes) or http (the real API on Kestrel in the bench process, driven by the partner SDK).", DefaultValueFactory = _ => "grain" };

    public Option<bool> HotGrains { get; } = new("--hot-grains") { Description = "Also compare 1 store whose payers all bank at its 1 bank with 8 stores at 4 banks, at the load that saturates the latter." };

    public Option<bool> BoundedState { get; } = new("--bounded-state") { Description = "Run only the bounded-state mode: 100,000 notes at one bank, 10,000 checkouts at one store; prints the largest grain state and the memory after idle deactivation (slow)." };

    public Option<double> BoundedScale { get; } = new("--bounded-scale") { Description = "Scale of --bounded-state (1 = the full 100,000 notes and 10,000 checkouts).", DefaultValueFactory = _ => 1 };

    public Option<string> Signer { get; } = new("--signer") { Description = "How the banks sign notes: development (each bank's key in grain state; Key Vault operations read 0) or fake-vault (every bank's note key in an in-process fake Azure Key Vault over HTTPS, signed through the service's real Key Vault adapter, so Key Vault operations per checkout are counted: one sign per change note; the bench fails if they read 0).", DefaultValueFactory = _ => "development" };

    public Option<bool> Tail { get; } = new("--tail") { Description = "Explain the slow checkouts: listen to every step's span and the GC pauses, and report for the slowest 5% of each phase where their time went (steps, waits between steps, retry ticks, GC), with the slowest timelines. Costs a little CPU, so it is off by default." };

    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON document on stdout (progress goes to stderr)." };

    public Option<bool> Logs { get; } = new("--logs") { Description = "Show the silo's warnings and errors on stderr." };

    /// <summary>Adds every option to <paramref name="command"/> and returns it.</summary>
    public T AddTo<T>(T command)
        where T : Command
    {
        ArgumentNullException.ThrowIfNull(command);
        Storage.AcceptOnlyFromAmong("azurite", "memory", "both");
        Path.AcceptOnlyFromAmong("grain", "http");
        Signer.AcceptOnlyFromAmong("development", "fake-vault");
        foreach (var option in new Option[] { Duration, Payers, Banks, Stores, StoresAtPayerBanks, Rate, Concurrency, Storage, Path, HotGrains, BoundedState, BoundedScale, Signer, Tail, Json, Logs })
        {
            command.Options.Add(option);
        }

        return command;
    }
}
