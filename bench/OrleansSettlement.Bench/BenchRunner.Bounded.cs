using System.Diagnostics;
using OrleansSettlement.Bench.Hosting;
using OrleansSettlement.Bench.Load;
using OrleansSettlement.Bench.Report;
using OrleansSettlement.Testing.Azurite;

namespace OrleansSettlement.Bench;

/// <summary>
/// The bounded-state mode: many notes issued at one bank (held by wallets of at most 256 notes each) and many settled
/// checkouts at one store, on Azure Table storage; it records the largest state written per grain type and the
/// process's memory after every idle grain was deactivated, before and after the checkouts.
/// </summary>
internal sealed partial class BenchRunner
{
    private const int FullScaleNotes = 100_000;
    private const int FullScaleCheckouts = 10_000;

    private async Task<BoundedStateReport> RunBoundedStateAsync(AzuriteProcess azurite, BenchSigning signing, CancellationToken ct)
    {
        var notes = Math.Max(1, (int)(FullScaleNotes * settings.BoundedScale));
        var checkouts = Math.Max(1, (int)(FullScaleCheckouts * settings.BoundedScale));
        CountingGrainStorage.MeasureSizes = true;
        CountingGrainStorage.SizeSampling = 1;
        try
        {
            progress($"bounded state: starting a silo on Azurite...");
            await using var silo = await BenchSilo.StartAsync(azurite.ConnectionString, StorageMode.Azurite, signing, settings.ShowLogs, ct).ConfigureAwait(false);
            using var world = new BenchWorld(silo.Grains, new BenchLayout(settings.Layout.Payers, 1, 1, true), silo.PrepareBank);
            await world.CreateBanksAndStoresAsync().ConfigureAwait(false);
            var forCheckouts = checkouts * settings.Layout.Payers;
            progress($"bounded state: issuing {Math.Max(0, notes - forCheckouts)} notes to holders at one bank...");
            await world.IssueHeldNotesAsync(Math.Max(0, notes - forCheckouts), ct).ConfigureAwait(false);
            progress($"bounded state: withdrawing the notes of {checkouts} checkouts...");
            await world.PrepareAsync(checkouts, ct).ConfigureAwait(false);
            var before = await MemoryAfterIdleAsync(silo, ct).ConfigureAwait(false);

            progress($"bounded state: settling {checkouts} checkouts at one store ({settings.Concurrency} in flight)...");
            var driver = new CheckoutDriver(world, silo.Outcomes, settings.OutcomeTimeout);
            var outcome = await LoadPhase.RunAsync(new PhasePlan("bounded state", null, settings.Concurrency, TimeSpan.FromHours(1)), checkouts, driver.RunAsync, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (outcome.Settled != checkouts)
            {
                var reasons = outcome.Samples.Where(s => s.Failure is not null).GroupBy(s => s.Failure!)
                    .OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} × {g.Key}").Take(3);
                _problems.Add($"bounded state: {outcome.Settled} of {checkouts} checkouts settled ({outcome.Failed} failed, {outcome.Aborted} aborted): {string.Join("; ", reasons)}.");
            }

            var after = await MemoryAfterIdleAsync(silo, ct).ConfigureAwait(false);
            var largest = new SortedDictionary<string, long>(silo.Tally.LargestStates(), StringComparer.Ordinal);
            largest.Remove("benchprobe");
            var overall = largest.Count == 0 ? 0 : largest.Values.Max();
            if (overall > 64 * 1024)
            {
                _problems.Add($"bounded state: a grain state of {overall} bytes was written (the target is at most 64 KB).");
            }

            return new BoundedStateReport(notes, outcome.Settled, largest, overall, before.Managed, after.Managed, after.WorkingSet);
        }
        finally
        {
            CountingGrainStorage.MeasureSizes = false;
        }
    }

    /// <summary>Deactivates every idle grain, collects garbage, and reads the managed heap and the working set.</summary>
    private async Task<(long Managed, long WorkingSet)> MemoryAfterIdleAsync(BenchSilo silo, CancellationToken ct)
    {
        progress("bounded state: deactivating idle grains...");
        await silo.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero).WaitAsync(ct).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }
}
