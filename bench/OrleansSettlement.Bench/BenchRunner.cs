using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using OrleansSettlement.Bench.Hosting;
using OrleansSettlement.Bench.Load;
using OrleansSettlement.Bench.Measure;
using OrleansSettlement.Bench.Report;
using OrleansSettlement.Testing.Azurite;

namespace OrleansSettlement.Bench;

/// <summary>
/// One bench run: measures this machine's ES256 verifications per second, starts Azurite, then per storage mode a
/// fresh silo, its parties, a warm-up, the saturating phase (arrivals as fast as <see cref="BenchSettings.Concurrency"/>
/// checkouts in flight allow) and an open-loop phase at half the throughput found (or one open-loop phase at
/// <see cref="BenchSettings.Rate"/>), the raw grain-state writes per second at the same concurrency, and the ratios.
/// Every cost figure is a difference of instrumentation counters over whole checkouts.
/// </summary>
internal sealed partial class BenchRunner(BenchSettings settings, Action<string> progress)
{
    /// <summary>The raw-write probe writes states of this size (about a checkout write's order of magnitude).</summary>
    private const int RawWriteBytes = 1024;

    /// <summary>With <c>--tail</c>, the size of one grain-state write in this many is measured.</summary>
    private const int TailSizeSampling = 16;

    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(600);
    private static readonly TimeSpan QuietPatience = TimeSpan.FromSeconds(30);

    private readonly List<string> _problems = [];
    private TailProbe? _tail;
    private double _verificationCpuMicroseconds;

    public async Task<BenchReport> RunAsync(CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var loadBefore = LoadAverage();
        progress("Measuring ES256 verifications per second on every core...");
        (var verifications, _verificationCpuMicroseconds) = MachineLimits.Verifications(settings.LimitDuration);
        using var tail = settings.Tail ? new TailProbe() : null;
        _tail = tail;
        if (tail is not null)
        {
            // The size of one write in 16 per grain type: enough to see a state that grows, at a sixteenth of the CPU.
            CountingGrainStorage.MeasureSizes = true;
            CountingGrainStorage.SizeSampling = TailSizeSampling;
        }

        progress("Starting Azurite (in memory, free ports)...");
        await using var azurite = await StartAzuriteAsync(settings.RepositoryRoot).ConfigureAwait(false);
        if (settings.Signer == BenchSigner.FakeVault)
        {
            progress("Starting the fake Key Vault (HTTPS on loopback): every bank signs notes through the Key Vault adapter...");
        }

        await using var signing = await BenchSigning.StartAsync(settings.Signer).ConfigureAwait(false);
        using var counters = new BenchCounters();
        var modes = new Dictionary<string, ModeReport>(StringComparer.Ordinal);
        HotGrainReport? hot = null;
        BoundedStateReport? bounded = null;
        if (settings.BoundedState)
        {
            bounded = await RunBoundedStateAsync(azurite, signing, ct).ConfigureAwait(false);
        }
        else
        {
            foreach (var mode in settings.Storage)
            {
                modes[Name(mode)] = await RunModeAsync(mode, azurite, signing, counters, verifications, ct).ConfigureAwait(false);
            }

            if (settings.HotGrains)
            {
                hot = await RunHotGrainsAsync(settings.Storage[0], azurite, signing, counters, ct).ConfigureAwait(false);
            }
        }

        var machine = new MachineReport(Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
            GCSettings.IsServerGC, loadBefore, LoadAverage());
        return new BenchReport(started, Math.Round(clock.Elapsed.TotalSeconds, 1), machine,
            signing.Description,
            modes, hot, bounded, Targets(modes, hot), _problems);
    }

    /// <summary>Azurite in memory on free ports; a failure to start it is a setup failure (exit 2), not a finding.</summary>
    private static async Task<AzuriteProcess> StartAzuriteAsync(string repositoryRoot)
    {
        try
        {
            return await AzuriteProcess.StartInMemoryAsync(repositoryRoot).ConfigureAwait(false);
        }
        catch (AzuriteStartException failure)
        {
            throw new BenchSetupException(failure.Message, failure);
        }
    }

    private async Task<ModeReport> RunModeAsync(StorageMode mode, AzuriteProcess azurite, BenchSigning signing, BenchCounters counters, double verificationsPerSecond, CancellationToken ct)
    {
        progress($"{Name(mode)}: starting a silo (SiloConfiguration, {Name(mode)} grain storage)...");
        await using var silo = await BenchSilo.StartAsync(azurite.ConnectionString, mode, signing, settings.ShowLogs, ct).ConfigureAwait(false);
        await using var api = settings.Path == BenchPath.Http ? await BenchApi.StartAsync(azurite.ConnectionString, silo.ClusterId, settings.ShowLogs).ConfigureAwait(false) : null;
        using var world = api is null ? (ILoadWorld)new BenchWorld(silo.Grains, settings.Layout, silo.PrepareBank) : new HttpWorld(api, settings.Layout, silo.PrepareBank);
        await world.CreateBanksAndStoresAsync().ConfigureAwait(false);
        var c = settings.Concurrency;
        var phases = new List<PhaseReport>();

        var warm = await RunPhaseAsync(mode, silo, world, counters, new PhasePlan("warm-up", null, c, settings.WarmUp), Math.Max(3 * c, 24), ct).ConfigureAwait(false);
        var estimate = Math.Max(warm.CheckoutsPerSecond, 1);
        PhaseReport main;
        PhaseReport? half = null;
        if (settings.Rate is { } rate)
        {
            main = await RunPhaseAsync(mode, silo, world, counters, new PhasePlan("open-loop", rate, c, settings.Duration), Needed(rate), ct).ConfigureAwait(false);
        }
        else
        {
            main = await RunPhaseAsync(mode, silo, world, counters, new PhasePlan("saturating", null, c, settings.Duration), Needed(2 * estimate) + (2 * c), ct).ConfigureAwait(false);
            var halfRate = Math.Max(main.CheckoutsPerSecond / 2, 0.5);
            half = await RunPhaseAsync(mode, silo, world, counters, new PhasePlan("half-peak", halfRate, 4 * c, settings.Duration), Needed(halfRate), ct).ConfigureAwait(false);
        }

        phases.Add(main);
        if (half is not null)
        {
            phases.Add(half);
        }

        progress($"{Name(mode)}: measuring raw grain-state writes per second at concurrency {c}...");
        var raw = await MachineLimits.RawWritesPerSecondAsync(silo.GrainStorage, c, RawWriteBytes, settings.LimitDuration).ConfigureAwait(false);
        var costs = main.Costs;
        var latency = half ?? main;
        CheckCounters(Name(mode), mode, main);
        var cryptoRatio = costs.VerificationsPerCheckout == 0 ? 0 : main.CheckoutsPerSecond * costs.VerificationsPerCheckout / verificationsPerSecond;
        var storageRatio = raw == 0 ? 0 : main.CheckoutsPerSecond * costs.WritesPerCheckout / raw;
        var cryptoCpuShare = main.CpuMsPerCheckout == 0 ? 0 : costs.VerificationsPerCheckout * _verificationCpuMicroseconds / 1000 / main.CpuMsPerCheckout;
        return new ModeReport(Name(mode), settings.Path == BenchPath.Http ? "http" : "grain", settings.Layout.Describe(),
            Round(main.CheckoutsPerSecond), latency.P50Ms, latency.P95Ms, latency.P99Ms,
            costs.WritesPerCheckout, costs.VerificationsPerCheckout, costs.SignsPerCheckout, costs.KeyVaultOpsPerCheckout, costs.GrainCallsPerCheckout,
            Math.Round(cryptoRatio, 3), Math.Round(storageRatio, 3), Math.Round(verificationsPerSecond), Math.Round(raw), c,
            costs.WritesByGrain, phases)
        {
            VerificationCpuMicroseconds = Math.Round(_verificationCpuMicroseconds, 1),
            CpuMsPerCheckout = main.CpuMsPerCheckout,
            CryptoCpuShare = Math.Round(cryptoCpuShare, 3),
        };
    }

    private async Task<HotGrainReport> RunHotGrainsAsync(StorageMode mode, AzuriteProcess azurite, BenchSigning signing, BenchCounters counters, CancellationToken ct)
    {
        progress($"hot grains ({Name(mode)}): starting a silo...");
        await using var silo = await BenchSilo.StartAsync(azurite.ConnectionString, mode, signing, settings.ShowLogs, ct).ConfigureAwait(false);
        var c = settings.Concurrency;
        using var spread = new BenchWorld(silo.Grains, new BenchLayout(settings.Layout.Payers, 4, 8, true), silo.PrepareBank);
        await spread.CreateBanksAndStoresAsync().ConfigureAwait(false);
        var warm = await RunPhaseAsync(mode, silo, spread, counters, new PhasePlan("warm-up 8 stores/4 banks", null, c, settings.WarmUp), Math.Max(3 * c, 24), ct).ConfigureAwait(false);
        var saturated = await RunPhaseAsync(mode, silo, spread, counters, new PhasePlan("saturating 8 stores/4 banks", null, c, settings.Duration),
            Needed(2 * Math.Max(warm.CheckoutsPerSecond, 1)) + (2 * c), ct).ConfigureAwait(false);
        var offered = Math.Max(saturated.CheckoutsPerSecond, 0.5);
        var spreadAtLoad = await RunPhaseAsync(mode, silo, spread, counters, new PhasePlan("8 stores/4 banks at that load", offered, 4 * c, settings.Duration), Needed(offered), ct).ConfigureAwait(false);

        using var single = new BenchWorld(silo.Grains, new BenchLayout(settings.Layout.Payers, 1, 1, true), silo.PrepareBank);
        await single.CreateBanksAndStoresAsync().ConfigureAwait(false);
        await RunPhaseAsync(mode, silo, single, counters, new PhasePlan("warm-up 1 store/1 bank", null, c, settings.WarmUp), Math.Max(3 * c, 24), ct).ConfigureAwait(false);
        var hotAtLoad = await RunPhaseAsync(mode, silo, single, counters, new PhasePlan("1 store/1 bank at that load", offered, 4 * c, settings.Duration), Needed(offered), ct).ConfigureAwait(false);
        CheckCounters("hot grains, 8 stores/4 banks", mode, spreadAtLoad);
        CheckCounters("hot grains, 1 store/1 bank", mode, hotAtLoad);
        var ratio = spreadAtLoad.CheckoutsPerSecond == 0 ? 0 : hotAtLoad.CheckoutsPerSecond / spreadAtLoad.CheckoutsPerSecond;
        return new HotGrainReport(Name(mode), Round(offered), spreadAtLoad, hotAtLoad, Math.Round(ratio, 3));
    }

    private async Task<PhaseReport> RunPhaseAsync(StorageMode mode, BenchSilo silo, ILoadWorld world, BenchCounters counters, PhasePlan plan, int prepared, CancellationToken ct)
    {
        progress($"{Name(mode)}: {plan.Name}: withdrawing the notes of {prepared} checkouts ({world.Layout.Describe()})...");
        await world.PrepareAsync(prepared).ConfigureAwait(false);
        await WaitQuietAsync(counters, silo.Tally, ct).ConfigureAwait(false);
        var before = Combined(counters, silo.Tally);
        _tail?.Clear();
        silo.Tally.ClearSizes();
        var cpu = Environment.CpuUsage.TotalTime;
        progress($"{Name(mode)}: {plan.Name}: {(plan.Rate is { } r ? string.Create(CultureInfo.InvariantCulture, $"{r:0.#} checkouts/s offered") : $"up to {plan.MaxInFlight} in flight")} for {plan.Duration.TotalSeconds:0} s...");
        var outcome = await LoadPhase.RunAsync(plan, prepared, i => world.RunCheckoutAsync(i, silo.Outcomes, settings.OutcomeTimeout), ct).ConfigureAwait(false);
        await WaitQuietAsync(counters, silo.Tally, ct).ConfigureAwait(false);
        var difference = BenchCounters.Difference(before, Combined(counters, silo.Tally));
        var report = ToReport(outcome, difference, mode) with
        {
            CpuMsPerCheckout = outcome.Samples.Count == 0 ? 0 : Math.Round((Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds / outcome.Samples.Count, 2),
        };
        if (_tail is not null)
        {
            var largest = new SortedDictionary<string, long>(silo.Tally.LargestStates(), StringComparer.Ordinal);
            report = report with { Tail = _tail.Explain(outcome.Samples) with { LargestStateBytes = largest } };
            progress($"{Name(mode)}: {plan.Name}: largest states (bytes): "
                + string.Join(", ", largest.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")));
            progress($"{Name(mode)}: {plan.Name}: p50 {report.P50Ms} p95 {report.P95Ms} p99 {report.P99Ms} max {report.MaxMs} ms; slowest: "
                + string.Join(" | ", report.Tail.Examples.Take(3)));
        }

        return report;
    }

    private static PhaseReport ToReport(PhaseOutcome outcome, Dictionary<string, long> d, StorageMode mode)
    {
        var n = Math.Max(outcome.Samples.Count, 1);
        var latencies = outcome.Samples.Where(s => s.End == CheckoutEnd.Settled).Select(s => s.LatencyMs).Order().ToList();
        double Per(long value) => Math.Round((double)value / n, 2);
        long Get(string key) => d.GetValueOrDefault(key);

        var byGrain = d.Where(kv => kv.Key.StartsWith(TallyPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[TallyPrefix.Length..], kv => Per(kv.Value), StringComparer.Ordinal);
        var writes = d.Where(kv => kv.Key.StartsWith(TallyPrefix, StringComparison.Ordinal)).Sum(kv => kv.Value);
        var reminders = Get(TallyPrefix + CountingReminderTable.Kind);
        var calls = d.Where(kv => kv.Key.StartsWith(BenchCounters.GrainCallPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[BenchCounters.GrainCallPrefix.Length..], kv => Per(kv.Value), StringComparer.Ordinal);
        var costs = new CostReport(
            outcome.Samples.Count,
            Per(writes),
            Per(writes - reminders),
            Per(reminders),
            mode == StorageMode.Azurite ? Per(Get(BenchCounters.StorageGrainStateWrites) + Get(BenchCounters.StorageReminderWrites)) : null,
            new SortedDictionary<string, double>(byGrain, StringComparer.Ordinal),
            Per(Get(BenchCounters.Verifications)),
            Per(Get(BenchCounters.Signs)),
            Per(Get(BenchCounters.AppSigns)),
            Per(Get(BenchCounters.KeyVaultOps)),
            Breakdown(d, BenchCounters.KeyVaultOpPrefix, Per),
            Per(Get(BenchCounters.GrainCalls)),
            new SortedDictionary<string, double>(calls, StringComparer.Ordinal),
            Breakdown(d, SitePrefix, Per),
            Breakdown(d, CallPrefix, Per))
        {
            StorageReadsByTable = Breakdown(d, BenchCounters.StorageReadPrefix, Per),
        };
        var failures = outcome.Samples.Where(s => s.Failure is not null).GroupBy(s => s.Failure!)
            .Select(g => $"{g.Count()} × {g.Key}").Take(5).ToList();
        return new PhaseReport(outcome.Plan.Name, outcome.Plan.Rate is { } rate ? Round(rate) : null, outcome.Plan.MaxInFlight,
            Math.Round(outcome.Window.TotalSeconds, 2), outcome.Samples.Count, outcome.Settled, outcome.Aborted, outcome.Failed,
            outcome.LateStarts, outcome.RanOutOfNotes, Round(outcome.CheckoutsPerSecond),
            Ms(Percentiles.Of(latencies, 50)), Ms(Percentiles.Of(latencies, 95)), Ms(Percentiles.Of(latencies, 99)), Ms(latencies.LastOrDefault()),
            costs, failures);
    }

    private static SortedDictionary<string, double> Breakdown(Dictionary<string, long> d, string prefix, Func<long, double> per) =>
        new(d.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => per(kv.Value), StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Records every figure of <paramref name="phase"/> that cannot be what it reads (the bench then exits 1).</summary>
    private void CheckCounters(string what, StorageMode mode, PhaseReport phase)
    {
        var costs = phase.Costs;
        void Require(bool ok, string problem)
        {
            if (!ok)
            {
                _problems.Add($"{what}: {problem}");
            }
        }

        Require(phase.Settled > 0, "no checkout settled.");
        Require(phase.Failed == 0 && phase.Aborted == 0, $"{phase.Failed} checkouts failed and {phase.Aborted} aborted ({string.Join("; ", phase.Failures)}).");
        Require(costs.WritesPerCheckout > 0, "durable writes per checkout read 0.");
        Require(costs.GrainStateWritesPerCheckout > 0, "grain-state writes per checkout read 0.");
        Require(costs.ReminderWritesPerCheckout > 0, "reminder writes per checkout read 0.");
        Require(costs.VerificationsPerCheckout > 0, "signature verifications per checkout read 0.");
        Require(costs.SignsPerCheckout > 0, "signatures per checkout read 0.");
        Require(costs.AppSignsPerCheckout > 0, "the apps' signatures per checkout read 0.");
        Require(costs.GrainCallsPerCheckout > 0, "grain calls per checkout read 0.");
        if (settings.Signer == BenchSigner.FakeVault)
        {
            // Every payer's change note is signed at its bank, in the vault.
            Require(costs.KeyVaultOpsPerCheckout > 0, "Key Vault operations per checkout read 0 although every bank signs in the vault.");
        }
        if (mode == StorageMode.Azurite)
        {
            // The provider-level count and the requests seen at the Azure SDK's HTTP pipeline must agree.
            var pipeline = costs.StorageRequestWritesPerCheckout ?? 0;
            Require(pipeline > 0, "storage write requests at the HTTP pipeline read 0.");
            Require(Math.Abs(pipeline - costs.WritesPerCheckout) <= Math.Max(0.5, 0.02 * costs.WritesPerCheckout),
                $"writes counted at the grain storage provider ({costs.WritesPerCheckout}) and at the HTTP pipeline ({pipeline}) disagree.");
        }
    }

    private const string TallyPrefix = "writes.";
    private const string SitePrefix = "sites.";
    private const string CallPrefix = "calls.";

    private static Dictionary<string, long> Combined(BenchCounters counters, WriteTally tally)
    {
        var all = new Dictionary<string, long>(counters.Snapshot(), StringComparer.Ordinal);
        foreach (var (kind, count) in tally.Writes())
        {
            all[TallyPrefix + kind] = count;
        }

        foreach (var (site, count) in tally.Sites())
        {
            all[SitePrefix + site] = count;
        }

        foreach (var (site, count) in tally.Calls())
        {
            all[CallPrefix + site] = count;
        }

        return all;
    }

    /// <summary>Waits until no grain call and no durable write happens for <see cref="QuietPeriod"/>: the trailing one-way
    /// bookkeeping of the last checkouts (or of the note withdrawals) has ended.</summary>
    private static async Task WaitQuietAsync(BenchCounters counters, WriteTally tally, CancellationToken ct)
    {
        var patience = Stopwatch.StartNew();
        var last = Activity(counters, tally);
        while (patience.Elapsed < QuietPatience)
        {
            await Task.Delay(QuietPeriod, ct).ConfigureAwait(false);
            var now = Activity(counters, tally);
            if (now == last)
            {
                return;
            }

            last = now;
        }
    }

    private static long Activity(BenchCounters counters, WriteTally tally) =>
        counters.Snapshot().GetValueOrDefault(BenchCounters.GrainCalls) + tally.Writes().Values.Where(v => v > 0).Sum()
        - tally.Writes().GetValueOrDefault("benchprobe");

    private int Needed(double rate) => (int)Math.Ceiling(rate * settings.Duration.TotalSeconds) + 1;

    private static List<TargetReport> Targets(IReadOnlyDictionary<string, ModeReport> modes, HotGrainReport? hot)
    {
        var targets = new List<TargetReport>();
        if (modes.TryGetValue(Name(StorageMode.Memory), out var memory))
        {
            targets.Add(new("crypto ratio >= 0.5 (memory storage)", F(memory.CryptoRatio), memory.CryptoRatio >= 0.5));
            targets.Add(new("p99 <= 50 ms at half of peak throughput (memory storage)", F(memory.P99Ms) + " ms", memory.P99Ms <= 50));
        }

        foreach (var mode in modes.Values)
        {
            targets.Add(new($"at most 20 durable writes per checkout ({mode.Storage})", F(mode.WritesPerCheckout), mode.WritesPerCheckout <= 20));
        }

        if (modes.TryGetValue(Name(StorageMode.Azurite), out var azurite))
        {
            targets.Add(new("storage ratio >= 0.6 (Azurite)", F(azurite.StorageRatio), azurite.StorageRatio >= 0.6));
        }

        if (hot is not null)
        {
            targets.Add(new($"1 store/1 bank at >= 80% of 8 stores/4 banks at the saturating load ({hot.Storage})", F(hot.Ratio), hot.Ratio >= 0.8));
        }

        return targets;
    }

    public static string Name(StorageMode mode) => mode == StorageMode.Memory ? "memory" : "azurite";

    private static string F(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static double Round(double value) => Math.Round(value, 2);

    private static double Ms(double value) => Math.Round(value, 1);

    private static double[] LoadAverage()
    {
        try
        {
            return [.. File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(t => double.Parse(t, CultureInfo.InvariantCulture))];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return [];
        }
    }
}
