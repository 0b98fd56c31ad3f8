using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Banking;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// A bank late to settle after a COMMIT (ADR 0013): the settlement grain's reminder tick records the acknowledgements of
/// the banks that finished, so that those banks run their S10 again at most until then; the late bank settles once it is
/// reachable, and every invariant holds.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class LateBankTests(FlowFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(45);

    private readonly SettlementKit _kit = new(fixture.Grains);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        fixture.Faults.Clear();
        _kit.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    [Fact]
    public async Task BankLateToSettle_AReminderTickRecordsTheOthersAcknowledgements_ThenTheLateBankSettles()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);

        // Bank A votes early, then its Decide is blocked; bank B's late vote completes the commit (the last voter learns
        // the decision in the reply to its vote, so A must not be last).
        fixture.Faults.Block(world.BankB, nameof(IBankAgreementGrain.Verify));
        await checkout.AnswerAll();
        var partA = _kit.Grains.GetGrain<IBankAgreementGrain>(GrainKeys.BankAgreement(world.BankA, checkout.AgreementId));
        await SettlementKit.Eventually(() => partA.Get(), p => p.Stage == BankPartStage.VotedValid, FlowTimeout);
        fixture.Faults.Block(world.BankA, nameof(IBankAgreementGrain.Decide));
        fixture.Faults.Unblock(world.BankB, nameof(IBankAgreementGrain.Verify));

        var settlement = _kit.Settlement(checkout.AgreementId);
        var heard = await SettlementKit.Eventually(settlement.Get, s => s?.Acknowledgements.Count == 2, FlowTimeout);
        Assert.DoesNotContain(world.BankA, heard!.Acknowledgements.Select(a => a.Institution));
        Assert.Empty(Stored(await StoredRows.ReadAsync(fixture.StorageConnectionString), checkout.AgreementId).Acknowledgements);

        // The reminder's tick (called here rather than waited for: its period is a minute).
        await settlement.AsReference<IRemindable>().ReceiveReminder("settlement", new TickStatus(DateTime.UtcNow, TimeSpan.FromMinutes(1), DateTime.UtcNow));

        var recorded = Stored(await StoredRows.ReadAsync(fixture.StorageConnectionString), checkout.AgreementId);
        Assert.Equal(SettlementStage.Committed, recorded.Stage);
        Assert.Equal(heard.Acknowledgements.Select(a => a.Institution), recorded.Acknowledgements.Select(a => a.Institution));

        fixture.Faults.Unblock(world.BankA, nameof(IBankAgreementGrain.Decide));
        await checkout.WaitForStage(CheckoutStage.Settled, FlowTimeout);
        Assert.Equal(3, Stored(await StoredRows.ReadAsync(fixture.StorageConnectionString), checkout.AgreementId).Acknowledgements.Count);
    }

    private SettlementState Stored(IEnumerable<Azure.Data.Tables.TableEntity> rows, string agreementId) =>
        StoredRows.Single<SettlementState>(fixture.StorageSerializer, rows, agreementId);
}
