using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OrleansSettlement.Grains.Diagnostics;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Service.Tests.Banking;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Observability;

/// <summary>
/// The metrics one demo-shaped group checkout moves: opened and settled once, nothing aborted, a latency for every step,
/// an agreement in flight and back, durable writes, and Key Vault signatures with a throttled attempt counted.
/// </summary>
[Collection(ObservabilityCollection.Name)]
public sealed class CheckoutMetricsTests(ObservabilityFixture service, ITestOutputHelper output) : IDisposable
{
    private readonly SigningParties _parties = new(service);

    public void Dispose() => _parties.Dispose();

    [Fact]
    public async Task GroupCheckout_OverHttp_MovesTheCheckoutStepStorageAndKeyVaultMetrics()
    {
        var vaultBank = await service.VaultBankAsync(_parties);
        using var metrics = new Measurements(CheckoutMetrics.MeterName, "OrleansSettlement.Storage", KeyVaultMetrics.MeterName);
        await DemoCheckout.RunAsync(_parties, vaultBank, beforeCheckout: () =>
        {
            metrics.Start();

            // The vault's next answer is a 429: the client retries it, and the throttle is counted.
            service.Vault.FailNext(429);
        });

        // The store may see the receipt a moment before the checkout's last bookkeeping runs.
        await metrics.WaitUntilAsync(() => metrics.Sum("osettle.checkouts.settled") >= 1 && metrics.Count("osettle.step.duration", "step", Steps.Outcome) >= 1, TimeSpan.FromSeconds(10));
        foreach (var line in metrics.Describe())
        {
            output.WriteLine(line);
        }

        Assert.Equal(1, metrics.Sum("osettle.checkouts.opened"));
        Assert.Equal(1, metrics.Sum("osettle.checkouts.settled"));
        Assert.Equal(0, metrics.Sum("osettle.checkouts.aborted"));
        Assert.Equal(1, metrics.CountOfValue("osettle.agreements.in_flight", 1));
        Assert.Equal(0, metrics.Sum("osettle.agreements.in_flight"));

        Assert.Equal(2, metrics.Count("osettle.step.duration", "step", Steps.S1));
        Assert.Equal(1, metrics.Count("osettle.step.duration", "step", Steps.S2));
        Assert.Equal(3, metrics.Count("osettle.step.duration", "step", Steps.S5));
        Assert.Equal(3, metrics.Count("osettle.step.duration", "step", Steps.S6));
        foreach (var step in new[] { Steps.S3, Steps.S4, Steps.S7 })
        {
            Assert.True(metrics.Count("osettle.step.duration", "step", step) >= 1, $"no latency for {step}");
        }

        foreach (var step in new[] { Steps.S8, Steps.S9, Steps.S10 })
        {
            Assert.True(metrics.Count("osettle.step.duration", "step", step) >= 3, $"fewer than 3 latencies (one per bank) for {step}");
        }

        Assert.True(metrics.Sum("osettle.storage.writes") > 0, "no durable write counted");
        Assert.True(metrics.Sum("osettle.keyvault.operations", "outcome", "ok") >= 1, "no Key Vault operation counted");
        Assert.True(metrics.Sum("osettle.keyvault.throttled") >= 1, "the 429 was not counted");
    }

    /// <summary>Every measurement of the named meters while started.</summary>
    private sealed class Measurements(params string[] meters) : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string?> Tags)> _seen = new();

        public void Start()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (meters.Contains(instrument.Meter.Name))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        public double Sum(string instrument, string? tag = null, string? value = null) =>
            Matching(instrument, tag, value).Sum(m => m.Value);

        public int Count(string instrument, string? tag = null, string? value = null) => Matching(instrument, tag, value).Count();

        public int CountOfValue(string instrument, double value) => _seen.Count(m => m.Instrument == instrument && m.Value.Equals(value));

        public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!condition() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }

        public IEnumerable<string> Describe() =>
            _seen.GroupBy(m => $"{m.Instrument} {string.Join(' ', m.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))}")
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"  {g.Key,-70} n={g.Count(),4} sum={g.Sum(m => m.Value):0.###}");

        public void Dispose() => _listener.Dispose();

        private IEnumerable<(string Instrument, double Value, Dictionary<string, string?> Tags)> Matching(string instrument, string? tag, string? value) =>
            _seen.Where(m => m.Instrument == instrument && (tag is null || m.Tags.GetValueOrDefault(tag) == value));

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value?.ToString();
            }

            _seen.Enqueue((instrument.Name, value, copy));
        }
    }
}
