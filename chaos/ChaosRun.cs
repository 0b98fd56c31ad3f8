using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansSettlement.Chaos.Cluster;
using OrleansSettlement.Chaos.Faults;
using OrleansSettlement.Chaos.Invariants;
using OrleansSettlement.Chaos.Scenarios;

namespace OrleansSettlement.Chaos;

/// <summary>
/// A whole chaos run: starts the cluster, runs the seed's scenarios <see cref="ChaosSettings.Concurrency"/> at a time
/// (each checked on its own rows as it ends), then checks every invariant on every stored row once all are done, and
/// stops everything it started.
/// </summary>
public static class ChaosRun
{
    public static async Task<ChaosReport> RunAsync(ChaosSettings settings, IProgress<ScenarioResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var clock = Stopwatch.StartNew();
        await using var cluster = await ChaosCluster.StartAsync(settings).ConfigureAwait(false);
        var startup = clock.Elapsed;
        var runner = new ScenarioRunner(cluster);
        var results = new ConcurrentBag<ScenarioResult>();
        await Parallel.ForEachAsync(
            settings.Indices,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.Concurrency), CancellationToken = cancellationToken },
            async (index, _) =>
            {
                var spec = ScenarioGenerator.Generate(settings.Seed, index, settings.Silos);
                ScenarioResult result;
                try
                {
                    result = await runner.RunAsync(spec).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    // A failure of the runner itself is reported with the scenario's replay, never lost in a crash.
                    result = new ScenarioResult(spec.Index, spec.Seed, spec.Kind.ToString(), spec.Describe(), [], new Dictionary<FaultKind, int>(), [], $"runner error: {exception.GetType().Name}: {exception.Message}", TimeSpan.Zero, TimeSpan.Zero);
                }

                results.Add(result);
                progress?.Report(result);
            }).ConfigureAwait(false);

        // The end: every row of the run, once more, now that nothing is in flight.
        var final = await SystemInvariants.CheckAsync(cluster.StorageConnectionString, cluster.StorageSerializer).ConfigureAwait(false);
        return new ChaosReport(settings, [.. results.OrderBy(r => r.Index)], final, startup, clock.Elapsed, cluster.Azurite.ForcedStops);
    }
}

/// <summary>What a run found, with the figures docs/reliability.md records.</summary>
public sealed record ChaosReport(ChaosSettings Settings, IReadOnlyList<ScenarioResult> Scenarios, InvariantReport Final, TimeSpan Startup, TimeSpan Wall, int AzuriteForcedStops)
{
    public int Seed => Settings.Seed;

    /// <summary>The command that runs the whole run again (for a failure of the final check).</summary>
    public string Replay => ChaosReplay.Run(Settings);

    /// <summary>The command that runs <paramref name="scenario"/> again on its own.</summary>
    public string ReplayOf(ScenarioResult scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return ChaosReplay.Scenario(Settings, scenario.Index);
    }

    public IEnumerable<ScenarioResult> Failed => Scenarios.Where(s => !s.Ok);

    public int Violations => Scenarios.Sum(s => s.Violations.Count) + Final.Violations.Count;

    public int Unfinished => Scenarios.Count(s => s.Unfinished is not null);

    public bool Ok => Violations == 0 && Unfinished == 0;

    public TimeSpan WorstTimeToFinal => Scenarios.Count == 0 ? TimeSpan.Zero : Scenarios.Max(s => s.TimeToFinal);

    /// <summary>Faults injected, by kind, over every scenario.</summary>
    public IReadOnlyDictionary<FaultKind, int> FaultsByKind => Enum.GetValues<FaultKind>()
        .ToDictionary(k => k, k => Scenarios.Sum(s => s.Faults.GetValueOrDefault(k)));

    /// <summary>Scenarios that no fault hit (each should have at least one).</summary>
    public int WithoutFaults => Scenarios.Count(s => s.Faults.Values.Sum() == 0);

    public IReadOnlyDictionary<string, int> OutcomesByStage => Scenarios.SelectMany(s => s.Checkouts)
        .GroupBy(c => c.Stage + (c.AbortCode is null ? "" : $" ({c.AbortCode})"), StringComparer.Ordinal)
        .OrderByDescending(g => g.Count())
        .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
