using System.Globalization;
using OrleansSettlement.Chaos;
using OrleansSettlement.Chaos.Faults;
using OrleansSettlement.Service.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Chaos;

/// <summary>
/// The CI set of the chaos runner (<c>settle chaos</c>): a fixed seed's <see cref="Scenarios"/> scenarios on a
/// three-silo cluster on Azurite with durable data, every one hit by faults (silo kills, storage faults, duplicated and
/// reordered calls, client retries, vanishing payers, Azurite restarts); every invariant holds after each scenario and
/// over every row at the end, and every agreement reaches a final outcome once its faults stop. A failure names the
/// scenario and its replay (<c>./settle chaos --seed 20261126 --scenarios 200 --only K</c>).
/// </summary>
public sealed class ChaosSetTests(ITestOutputHelper output)
{
    public const int Seed = 20261126;
    public const int Scenarios = 200;
    public const int Concurrency = 32;

    [Fact]
    public async Task FixedSet_WithFaults_KeepsEveryInvariantAndEveryAgreementReachesAnOutcome()
    {
        var location = Path.Combine(Path.GetTempPath(), "settle-chaos-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var report = await ChaosRun.RunAsync(new ChaosSettings
            {
                Seed = Seed,
                Scenarios = Scenarios,
                Concurrency = Concurrency,
                AzuriteExecutable = Path.Combine(RepositoryRoot.Find(), "node_modules", ".bin", "azurite"),
                StorageLocation = location,
            });

            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"seed {Seed}: {report.Scenarios.Count} scenarios in {report.Wall.TotalSeconds:0.0} s, worst time to final outcome {report.WorstTimeToFinal.TotalSeconds:0.0} s"));
            output.WriteLine("checkouts: " + string.Join(", ", report.OutcomesByStage.Select(p => $"{p.Key} {p.Value}")));
            output.WriteLine("faults: " + string.Join(", ", report.FaultsByKind.Select(p => $"{p.Key} {p.Value}")));
            var failures = report.Failed.Select(f => $"scenario {f.Index} ({f.Description}), replay: {report.ReplayOf(f)}: {f.Unfinished ?? string.Join("; ", f.Violations)}")
                .Concat(report.Final.Violations.Select(v => $"final check: {v}"))
                .ToList();

            foreach (var history in report.Failed.Select(f => f.HistoryFile).OfType<string>())
            {
                // The run's folder is deleted below: the failed scenario's history goes to the test output instead.
                output.WriteLine($"---- {history}");
                output.WriteLine(File.ReadAllText(history));
            }

            Assert.True(failures.Count == 0, string.Join('\n', failures));
            Assert.Equal(Scenarios, report.Scenarios.Count);
            Assert.Equal(0, report.WithoutFaults);
            Assert.All(
                [FaultKind.SiloKill, FaultKind.AzuriteRestart, FaultKind.StorageConflict, FaultKind.StorageUnavailable, FaultKind.StorageTimeoutAfterWrite, FaultKind.DuplicatedGrainCall, FaultKind.ClientRetry, FaultKind.VanishedPayer],
                kind => Assert.True(report.FaultsByKind[kind] > 0, $"no {kind} fault was injected"));
            Assert.True(report.Final.Committed > 0 && report.Final.Aborted > 0, $"{report.Final.Committed} committed, {report.Final.Aborted} aborted: the set should end both ways");
        }
        finally
        {
            if (Directory.Exists(location))
            {
                Directory.Delete(location, recursive: true);
            }
        }
    }
}
