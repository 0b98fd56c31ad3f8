using System.Text.Json;
using OrleansSettlement.Bench;
using OrleansSettlement.Bench.Hosting;
using OrleansSettlement.Bench.Report;
using OrleansSettlement.Service.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Bench;

/// <summary>
/// A very short <c>settle bench</c> (grain path, memory storage then Azurite) run in-process, checked for structure, not
/// speed: every checkout settled, every counter that cannot be zero is not, the provider's and the HTTP pipeline's write
/// counts agree, the JSON document has the fields scripts read, and the figures are consistent with one another. It runs
/// alone, since the counters it reads are process-wide.
/// </summary>
[Collection(BenchCollection.Name)]
public sealed class BenchRunTests(ITestOutputHelper output)
{
    private static readonly string[] HeadlineFields =
    [
        "checkoutsPerSecond", "p50Ms", "p95Ms", "p99Ms", "writesPerCheckout", "verificationsPerCheckout", "signsPerCheckout",
        "keyVaultOpsPerCheckout", "grainCallsPerCheckout", "cryptoRatio", "storageRatio",
    ];

    /// <summary>A bench of seconds: enough for every phase to settle checkouts, not for figures worth reading.</summary>
    private static BenchSettings Short { get; } = new()
    {
        Duration = TimeSpan.FromSeconds(2),
        WarmUp = TimeSpan.FromSeconds(1),
        LimitDuration = TimeSpan.FromMilliseconds(500),
        RepositoryRoot = RepositoryRoot.Find(),
    };

    [Fact]
    public async Task ShortRun_BothStorageModes_ReportIsCompleteAndConsistent()
    {
        var settings = Short with { Concurrency = 6, Storage = [StorageMode.Memory, StorageMode.Azurite] };

        var report = await new BenchRunner(settings, output.WriteLine).RunAsync(CancellationToken.None);
        var json = report.ToJson();
        output.WriteLine(json);

        Assert.Empty(report.Problems);
        using var document = JsonDocument.Parse(json);
        var modes = document.RootElement.GetProperty("modes");
        foreach (var name in new[] { "memory", "azurite" })
        {
            var mode = modes.GetProperty(name);
            foreach (var field in HeadlineFields)
            {
                Assert.True(mode.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number, $"{name}.{field} is missing or not a number");
            }

            AssertConsistent(report.Modes[name], settings);
        }

        foreach (var phase in report.Modes["memory"].Phases)
        {
            // ADR 0014: the end of an agreement is written with each wallet's next write. ADR 0017: the checkout writes at
            // Open and at the S7 hand-off (the last response) only; its outcome is the settlement grain's.
            Assert.Equal(0.0, phase.Costs.WritesBySite.GetValueOrDefault("wallet <- IWalletGrain.AgreementEnded"));
            Assert.Equal(0.0, phase.Costs.WritesBySite.GetValueOrDefault("checkout <- ICheckoutGrain.OnOutcome"));
            Assert.Equal(1.0, phase.Costs.WritesBySite.GetValueOrDefault("checkout <- ICheckoutGrain.Open"), 1);
            Assert.Equal(1.0, phase.Costs.WritesBySite.GetValueOrDefault("checkout <- ICheckoutGrain.SubmitResponse"), 1);
        }

        Assert.Contains(report.Targets, t => t.Target.StartsWith("crypto ratio", StringComparison.Ordinal));
        Assert.Contains(report.Targets, t => t.Target.StartsWith("storage ratio", StringComparison.Ordinal));
        Assert.Equal(3, report.Machine.LoadAverageBefore.Length);
    }

    [Fact]
    public async Task ShortRun_HttpPath_WritesNoIdempotencyRecordAndCountsRequestSignatures()
    {
        var settings = Short with { Concurrency = 4, Storage = [StorageMode.Memory], Path = BenchPath.Http };

        var report = await new BenchRunner(settings, output.WriteLine).RunAsync(CancellationToken.None);
        output.WriteLine(report.ToJson());

        Assert.Empty(report.Problems);
        var mode = report.Modes["memory"];
        Assert.Equal("http", mode.Path);
        AssertConsistent(mode, settings, httpRequestsSigned: true);
        foreach (var phase in mode.Phases)
        {
            // No POST of a checkout writes an idempotency record: the opening's is the checkout's own open write (ADR 0022),
            // the session steps' are kept in memory (ADR 0018).
            Assert.Equal(1.0, phase.Costs.WritesBySite.GetValueOrDefault("checkout <- ICheckoutGrain.OpenForRequest"), 1);
            Assert.Equal(0.0, phase.Costs.WritesBySite.GetValueOrDefault("idempotency <- IIdempotencyGrain.Begin"));
            Assert.Equal(0.0, phase.Costs.WritesBySite.GetValueOrDefault("idempotency <- IIdempotencyGrain.Complete"));
        }
    }

    [Fact]
    public async Task ShortRun_FakeVaultSigner_CountsTheKeyVaultClientsSignsOfEveryChangeNote()
    {
        var settings = Short with { Concurrency = 6, Storage = [StorageMode.Memory], Signer = BenchSigner.FakeVault };

        var report = await new BenchRunner(settings, output.WriteLine).RunAsync(CancellationToken.None);
        output.WriteLine(report.ToJson());

        Assert.Empty(report.Problems);
        Assert.Contains("fake vault", report.KeyVault, StringComparison.Ordinal);
        var mode = report.Modes["memory"];
        AssertConsistent(mode, settings);
        Assert.True(mode.KeyVaultOpsPerCheckout > 0, "no Key Vault operation was counted");
        foreach (var phase in mode.Phases)
        {
            // Each payer spends a note worth more than its share, so its bank signs one change note, in the vault. The
            // public key is fetched when the bank makes its key and cached by the signer, before any measured phase.
            AssertSum(phase.Costs.KeyVaultOpsPerCheckout, phase.Costs.KeyVaultOpsByOperation.Values);
            Assert.True(phase.Costs.KeyVaultOpsByOperation.GetValueOrDefault("Sign") >= settings.Layout.Payers, $"{phase.Name}: fewer vault signs than change notes");
        }
    }

    private static void AssertConsistent(ModeReport mode, BenchSettings settings, bool httpRequestsSigned = false)
    {
        Assert.Equal(2, mode.Phases.Count); // saturating, then half of its throughput
        foreach (var phase in mode.Phases)
        {
            Assert.True(phase.Started > 0, $"{mode.Storage} {phase.Name}: nothing started");
            Assert.Equal(phase.Started, phase.Settled);
            Assert.Equal(phase.Started, phase.Costs.Checkouts);
            Assert.True(phase.P50Ms > 0 && phase.P50Ms <= phase.P95Ms && phase.P95Ms <= phase.P99Ms && phase.P99Ms <= phase.MaxMs, $"{mode.Storage} {phase.Name}: percentiles out of order");
            Assert.True(phase.CheckoutsPerSecond > 0, $"{mode.Storage} {phase.Name}: no throughput");

            // The breakdowns add up to their totals, and reminders are one kind among the writes.
            // (Each figure is rounded to 2 decimals, so a sum may differ from its total by 0.005 per term.)
            AssertSum(phase.Costs.WritesPerCheckout, phase.Costs.WritesByGrain.Values);
            AssertSum(phase.Costs.WritesPerCheckout, phase.Costs.WritesBySite.Values);
            AssertSum(phase.Costs.GrainCallsPerCheckout, phase.Costs.GrainCallsByInterface.Values);
            AssertSum(phase.Costs.GrainCallsPerCheckout, [.. phase.Costs.GrainCallsByMethod.Where(kv => !kv.Key.StartsWith("IRemindable.", StringComparison.Ordinal)).Select(kv => kv.Value)]);
            Assert.Equal(phase.Costs.ReminderWritesPerCheckout, phase.Costs.WritesByGrain[CountingReminderTable.Kind], 2);
            Assert.Contains("checkout", phase.Costs.WritesByGrain.Keys);
            Assert.Contains("settlement", phase.Costs.WritesByGrain.Keys);

            // Every payer's app signs its acceptance, its request and its response: those signatures are the apps', not the
            // service's. Over HTTP the wallets also sign their requests (RFC 9421).
            if (httpRequestsSigned)
            {
                Assert.True(phase.Costs.AppSignsPerCheckout > 3.0 * settings.Layout.Payers, $"{phase.Name}: the wallets' request signatures are missing");
            }
            else
            {
                Assert.Equal(3.0 * settings.Layout.Payers, phase.Costs.AppSignsPerCheckout, 2);
            }
        }

        var saturating = mode.Phases[0];
        Assert.Null(saturating.OfferedRate);
        Assert.Equal(Math.Round(Math.Max(saturating.CheckoutsPerSecond / 2, 0.5), 2), mode.Phases[1].OfferedRate!.Value, 2);
        Assert.Equal(saturating.CheckoutsPerSecond, mode.CheckoutsPerSecond, 2);
        Assert.Equal(mode.Phases[1].P99Ms, mode.P99Ms);
        Assert.True(mode.VerificationsPerSecond > 0 && mode.RawWritesPerSecond > 0);
        // The ratios follow from the printed figures (which are rounded, hence the tolerance of a few percent).
        AssertClose(mode.CheckoutsPerSecond * mode.VerificationsPerCheckout / mode.VerificationsPerSecond, mode.CryptoRatio);
        AssertClose(mode.CheckoutsPerSecond * mode.WritesPerCheckout / mode.RawWritesPerSecond, mode.StorageRatio);
    }

    private static void AssertSum(double total, IEnumerable<double> parts)
    {
        var terms = parts.ToList();
        var sum = terms.Sum();
        Assert.True(Math.Abs(total - sum) <= (0.005 * (terms.Count + 1)) + 1e-9, $"the parts sum to {sum}, the total is {total}");
    }

    private static void AssertClose(double expected, double actual)
    {
        var tolerance = (0.03 * Math.Abs(expected)) + 0.002;
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected} (within {tolerance}), got {actual}");
    }
}

/// <summary>The bench test runs with nothing else in the process, so that the process-wide counters are its own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchCollection
{
    public const string Name = "Bench";
}
