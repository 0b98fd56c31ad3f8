using System.Diagnostics;
using OrleansSettlement.Grains.Diagnostics;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Service.Tests.Banking;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Observability;

/// <summary>
/// The span tree of one demo-shaped group checkout (3 payers at 2 banks, the store at a third; one payer bank signs in
/// Key Vault) run over HTTP, as the hosts' OpenTelemetry providers record it for export: one root, every step S1-S10
/// under it, storage and Key Vault spans beneath the steps, and the partners' requests (S1, S2, S5) joined by links.
/// </summary>
[Collection(ObservabilityCollection.Name)]
public sealed class CheckoutTraceTests(ObservabilityFixture service, ITestOutputHelper output) : IDisposable
{
    private readonly SigningParties _parties = new(service);

    public void Dispose() => _parties.Dispose();

    [Fact]
    public async Task GroupCheckout_OverHttp_IsOneTraceWithEveryStepUnderOneRoot()
    {
        using var spans = new SpanCollector();
        var vaultBank = await service.VaultBankAsync(_parties);
        var checkout = await DemoCheckout.RunAsync(_parties, vaultBank, beforeCheckout: () => { });

        var root = Assert.Single(spans.Finished, s => s.Source == CheckoutTelemetry.ActivitySourceName && s.Name == CheckoutTelemetry.RootSpanName
            && s.Tag(CheckoutTelemetry.CheckoutIdAttribute) == checkout.CheckoutId && s.Tag(CheckoutTelemetry.StoreAttribute) == checkout.Store);
        var trace = await spans.TraceAsync(root.TraceId, quiet: TimeSpan.FromSeconds(1.5), timeout: TimeSpan.FromSeconds(20));
        var tree = new SpanTree(trace, root);
        output.WriteLine($"trace {root.TraceId}: {trace.Count} spans");
        foreach (var group in trace.GroupBy(s => $"{s.Source,-40} {s.Name}").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {group.Key,-100} {group.Count(),4}");
        }

        // One root, and every span of the trace descends from it (no span whose parent is missing from the trace).
        Assert.Equal(root, Assert.Single(trace, s => s.IsRoot));
        Assert.DoesNotContain(trace, s => !tree.DescendsFromRoot(s));
        AssertLinkedToARequest(spans, root);

        // A span per protocol step: S1 per contribution, S5 and S6 per response, S8-S10 at every bank.
        var steps = trace.Where(s => s.Source == CheckoutTelemetry.ActivitySourceName && s.Tag(CheckoutTelemetry.StepAttribute) is not null).ToList();
        int Count(string step) => steps.Count(s => s.Tag(CheckoutTelemetry.StepAttribute) == step);
        Assert.Equal(2, Count(Steps.S1));
        Assert.Equal(1, Count(Steps.S2));
        Assert.Equal(1, Count(Steps.S3));
        Assert.Equal(1, Count(Steps.S4));
        Assert.Equal(3, Count(Steps.S5));
        Assert.Equal(3, Count(Steps.S6));
        Assert.True(Count(Steps.S7) >= 1, "no S7 span");
        foreach (var step in new[] { Steps.S8, Steps.S9, Steps.S10 })
        {
            var banks = steps.Where(s => s.Tag(CheckoutTelemetry.StepAttribute) == step).Select(s => s.Tag(CheckoutTelemetry.InstitutionAttribute)).ToHashSet();
            Assert.True(checkout.Banks.Values.All(banks.Contains), $"{step} spans at {string.Join(", ", banks)}; expected every bank of {string.Join(", ", checkout.Banks.Values)}");
        }

        // The partners' requests are separate traces: their steps are children of the root, linked to the request.
        foreach (var step in steps.Where(s => s.Tag(CheckoutTelemetry.StepAttribute) is Steps.S1 or Steps.S2 or Steps.S5))
        {
            Assert.Equal(root.SpanId, step.ParentSpanId);
            AssertLinkedToARequest(spans, step);
        }

        // Storage requests (Azure SDK spans) descend from the steps that made them, from opening to settling. Before the
        // hand-off nothing is written but the opening: S1 and S4 reach the wallets' memory only (ADR 0018), and the
        // checkout's session lives in its activation until the last response writes it (ADR 0017).
        var storage = trace.Where(s => s.Source.StartsWith("Azure.", StringComparison.Ordinal) && tree.NearestAncestor(s, IsKeyVault) is null).ToList();
        var stepsWithStorage = storage.Select(s => StepOf(tree.NearestAncestor(s, IsCheckoutSpan))).ToHashSet();
        foreach (var step in new[] { CheckoutTelemetry.RootSpanName, Steps.S6, Steps.S8, Steps.S10 })
        {
            Assert.True(stepsWithStorage.Contains(step), $"no storage span under {step}; storage under: {string.Join(", ", stepsWithStorage)}");
        }

        // Grain calls carry the context: Orleans' grain-call spans are in the trace (the service's grain interfaces are in a
        // namespace that starts with "Orleans", so Orleans files their calls under its runtime source).
        Assert.Contains(trace, s => s.Source == "Microsoft.Orleans.Runtime" && s.Name.Contains("ICheckoutGrain", StringComparison.Ordinal));

        // Key Vault: the change notes of the vault bank are signed under S10, each signature with its HTTP request beneath.
        var signs = trace.Where(s => s.Source == KeyVaultKeysClient.ActivitySourceName && s.Name == "KeyVaultKeysClient.Sign").ToList();
        Assert.NotEmpty(signs);
        foreach (var sign in signs)
        {
            Assert.Contains(StepOf(tree.NearestAncestor(sign, IsCheckoutSpan)), new[] { Steps.S10, Steps.Tick });
            Assert.Contains(trace, s => s.ParentSpanId == sign.SpanId && s.Source.StartsWith("Azure.", StringComparison.Ordinal));
        }
    }

    private static bool IsCheckoutSpan(RecordedSpan span) => span.Source == CheckoutTelemetry.ActivitySourceName;

    private static bool IsKeyVault(RecordedSpan span) => span.Source == KeyVaultKeysClient.ActivitySourceName;

    private static string? StepOf(RecordedSpan? span) =>
        span is null ? null : span.Tag(CheckoutTelemetry.StepAttribute) ?? span.Name;

    /// <summary>The span links to a recorded span of another trace that an incoming HTTP request (ASP.NET Core) caused.</summary>
    private static void AssertLinkedToARequest(SpanCollector spans, RecordedSpan span)
    {
        var link = Assert.Single(span.Links);
        Assert.NotEqual(span.TraceId, link.TraceId);
        var requestTrace = spans.Finished.Where(s => s.TraceId == link.TraceId).ToList();
        var linked = Assert.Single(requestTrace, s => s.SpanId == link.SpanId);
        var ancestor = new SpanTree(requestTrace, null).NearestAncestor(linked, s => s.Source == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server);
        Assert.True(ancestor is not null, $"{span}: the linked span {linked} has no HTTP request span above it; its trace: {string.Join("; ", requestTrace)}");
    }

    /// <summary>Parent lookups within one trace.</summary>
    private sealed class SpanTree(IReadOnlyList<RecordedSpan> spans, RecordedSpan? root)
    {
        private readonly Dictionary<ActivitySpanId, RecordedSpan> _byId = spans.ToDictionary(s => s.SpanId);

        public bool DescendsFromRoot(RecordedSpan span)
        {
            for (var current = span; current is not null; current = Parent(current))
            {
                if (current.SpanId == root!.SpanId)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The closest proper ancestor that satisfies <paramref name="predicate"/>, or null.</summary>
        public RecordedSpan? NearestAncestor(RecordedSpan span, Func<RecordedSpan, bool> predicate)
        {
            for (var current = Parent(span); current is not null; current = Parent(current))
            {
                if (predicate(current))
                {
                    return current;
                }
            }

            return null;
        }

        private RecordedSpan? Parent(RecordedSpan span) =>
            span.ParentSpanId != default && _byId.TryGetValue(span.ParentSpanId, out var parent) ? parent : null;
    }
}
