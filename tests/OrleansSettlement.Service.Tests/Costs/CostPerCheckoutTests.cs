using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OrleansSettlement.Protocol.Diagnostics;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Api;
using OrleansSettlement.Silo.Diagnostics;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Costs;

/// <summary>
/// What one group checkout costs, counted by instrumentation (storage requests at the HTTP pipeline, ES256 operations
/// in the protocol library, calls received by grains): 3 payers at 2 banks, the store at a third, over the HTTP API.
/// It runs alone (no other test in the process), since the counters are process-wide, and prints its figures.
/// </summary>
[Collection(CostCollection.Name)]
public sealed class CostPerCheckoutTests(ApiFixture api, ITestOutputHelper output) : IDisposable
{
    private readonly ApiParties _parties = new(api);

    public void Dispose() => _parties.Dispose();

    [Fact]
    public async Task GroupCheckout_ThreePayersTwoBanks_CostIsCountedAndBounded()
    {
        var bankA = await _parties.CreateBankAsync("bank-a");
        var bankB = await _parties.CreateBankAsync("bank-b");
        var bankC = await _parties.CreateBankAsync("bank-c");
        var store = await _parties.CreateStoreAsync(bankC, "cafe");
        var alice = await _parties.CreatePayerAsync(bankA, 10_000, "alice");
        var bob = await _parties.CreatePayerAsync(bankB, 10_000, "bob");
        var carol = await _parties.CreatePayerAsync(bankA, 10_000, "carol");
        var aliceNotes = (await alice.Wallet.WithdrawAsync([5_000])).Notes;
        var bobNotes = (await bob.Wallet.WithdrawAsync([2_000, 2_000])).Notes;
        var carolNotes = (await carol.Wallet.WithdrawAsync([5_000, 500])).Notes;
        await Task.Delay(500); // let the withdrawals' one-way deliveries finish before counting

        using var counters = new Counters();
        var checkout = await store.Session.OpenCheckoutAsync("order-cost", "EUR", 12_000, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 coffees"));
        await GroupCheckoutDrive.PayAsync(
            store,
            checkout.CheckoutId,
            new ApiShare(alice, bankA.Name, 4_000, aliceNotes),
            new ApiShare(bob, bankB.Name, 3_000, bobNotes),
            new ApiShare(carol, bankA.Name, 5_000, carolNotes));

        var settled = await store.Session.WaitForOutcomeAsync(checkout.CheckoutId, TimeSpan.FromSeconds(30));
        Assert.Equal(CheckoutStages.Settled, settled.Stage);
        await Task.Delay(1_000); // the wallets' one-way bookkeeping after the receipt
        var figures = counters.Snapshot();
        await api.AssertInvariantsAsync();

        output.WriteLine("One group checkout (3 payers, 2 payer banks, store at a third bank), opening the checkout to settled.");
        output.WriteLine("signature.* counts the service and the simulated wallet and store apps together (one process).");
        foreach (var (name, value) in figures.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {name,-48} {value,6}");
        }

        // Every counter that cannot be zero is not zero; the totals stay within what docs/architecture.md states.
        var stateWrites = figures.GetValueOrDefault("storage.writes SettlementGrainState");
        Assert.InRange(stateWrites, 20, 80);
        Assert.InRange(figures.GetValueOrDefault("signature.verifications"), 3 * 4, 200);
        Assert.InRange(figures.GetValueOrDefault("signature.signs"), 3 + 3 + 3, 40);
        Assert.InRange(figures.GetValueOrDefault("grain.calls (all)"), 30, 400);
    }

    /// <summary>Sums the service's counters while alive.</summary>
    private sealed class Counters : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

        public Counters()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                // The storage meter's class is compiled into both hosts, so it is named here by its meter name.
                if (instrument.Meter.Name is "OrleansSettlement.Storage" or ProtocolMetrics.MeterName or GrainCallMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var name = instrument.Name.Replace("osettle.", "", StringComparison.Ordinal);
                var labels = new List<string>();
                foreach (var t in tags)
                {
                    labels.Add(t.Value?.ToString() ?? "");
                }

                if (labels.Count > 1)
                {
                    // Storage: the total per table, and per grain type within the table.
                    _totals.AddOrUpdate($"{name} {labels[0]}", value, (_, v) => v + value);
                }

                _totals.AddOrUpdate(labels.Count == 0 ? name : $"{name} {string.Join(' ', labels)}", value, (_, v) => v + value);
                if (instrument.Name == "osettle.grain.calls")
                {
                    _totals.AddOrUpdate("grain.calls (all)", value, (_, v) => v + value);
                }
            });
            _listener.Start();
        }

        public Dictionary<string, long> Snapshot() => new(_totals, StringComparer.Ordinal);

        public void Dispose() => _listener.Dispose();
    }
}

/// <summary>The cost test runs with nothing else in the process, so that the process-wide counters are its own.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CostCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "Cost";
}
