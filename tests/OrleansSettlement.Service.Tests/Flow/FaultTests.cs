using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Banking;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// Faults between S7 and S10: an institution unreachable for a while (before its vote, or late to settle after the
/// COMMIT: the settlement grain's reminder tick then records the others' acknowledgements, ADR 0013), and the silo
/// stopped and started again on the same storage. The outcome waits, then completes; nothing is lost or done twice; every invariant holds afterwards.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class FaultTests(FlowFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(45);

    private SettlementKit _kit = new(fixture.Grains);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        fixture.Faults.Clear();
        _kit.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    [Fact]
    public async Task BankUnreachableBeforeItVotes_OutcomeWaitsThenSettles()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        fixture.Faults.Block(world.BankB, nameof(IBankAgreementGrain.Verify));

        await checkout.AnswerAll();
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.True(fixture.Faults.Dropped > 0);
        Assert.Equal(CheckoutStage.Settling, (await checkout.Get()).Stage);
        Assert.Null((await _kit.Settlement(checkout.AgreementId).Get())!.Decision);

        fixture.Faults.Unblock(world.BankB, nameof(IBankAgreementGrain.Verify));
        var settled = await checkout.WaitForStage(CheckoutStage.Settled, FlowTimeout);
        Assert.Equal(ThreePayers.TotalMinor, settled.Receipt!.TotalMinor);
    }

    [Fact]
    public async Task BankUnreachableAfterCommit_CommitStandsAndItSettlesWhenBack()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);

        // Bank A votes early, then becomes unreachable; bank B's late vote completes the commit. (A bank that casts the
        // deciding vote learns the decision in the reply to its vote, so A must not be the last voter here.)
        fixture.Faults.Block(world.BankB, nameof(IBankAgreementGrain.Verify));
        await checkout.AnswerAll();
        var partA = _kit.Grains.GetGrain<IBankAgreementGrain>(GrainKeys.BankAgreement(world.BankA, checkout.AgreementId));
        await SettlementKit.Eventually(() => partA.Get(), p => p.Stage == BankPartStage.VotedValid, FlowTimeout);
        fixture.Faults.Block(world.BankA, nameof(IBankAgreementGrain.Decide));
        fixture.Faults.Unblock(world.BankB, nameof(IBankAgreementGrain.Verify));

        var decided = await SettlementKit.Eventually(() => _kit.Settlement(checkout.AgreementId).Get(), s => s?.Decision is not null, FlowTimeout);
        Assert.Equal(DecisionKind.Commit, decided!.Decision!.Kind);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(BankPartStage.VotedValid, (await partA.Get()).Stage);
        Assert.Equal(CheckoutStage.Settling, (await checkout.Get()).Stage);

        fixture.Faults.Unblock(world.BankA, nameof(IBankAgreementGrain.Decide));
        await checkout.WaitForStage(CheckoutStage.Settled, FlowTimeout);
    }

    [Fact]
    public async Task SiloRestartedAfterCommitBeforeAnyBankSettled_CompletesOnceAfterRestart()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        string[] banks = [world.BankA, world.BankB, world.Store.Institution];
        foreach (var bank in banks)
        {
            fixture.Faults.Block(bank, nameof(IBankAgreementGrain.Decide));
        }

        await checkout.AnswerAll();
        var decided = await SettlementKit.Eventually(() => _kit.Settlement(checkout.AgreementId).Get(), s => s?.Decision is not null, FlowTimeout);
        Assert.Equal(DecisionKind.Commit, decided!.Decision!.Kind);

        await RestartAsync();
        foreach (var bank in banks)
        {
            fixture.Faults.Unblock(bank, nameof(IBankAgreementGrain.Decide));
        }

        var settled = await WaitForStage(world.Store.Id, checkout.CheckoutId, CheckoutStage.Settled);
        Assert.Equal([1_000L, 1_000L, 500L], settled.Receipt!.Payers.Select(p => p.ChangeMinor));
        Assert.Equal(ThreePayers.TotalMinor, await _kit.Balance(world.Store.Institution, world.Store.Account));
    }

    [Fact]
    public async Task SiloRestartedAfterS7BeforeAnyVote_CompletesAfterRestart()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        string[] banks = [world.BankA, world.BankB, world.Store.Institution];
        foreach (var bank in banks)
        {
            fixture.Faults.Block(bank, nameof(IBankAgreementGrain.Verify));
        }

        Assert.Equal(CheckoutStage.Settling, (await checkout.AnswerAll()).Stage);

        await RestartAsync();
        foreach (var bank in banks)
        {
            fixture.Faults.Unblock(bank, nameof(IBankAgreementGrain.Verify));
        }

        await WaitForStage(world.Store.Id, checkout.CheckoutId, CheckoutStage.Settled);
        Assert.Equal(ThreePayers.TotalMinor, await _kit.Balance(world.Store.Institution, world.Store.Account));
    }

    private async Task RestartAsync()
    {
        _kit.Dispose();
        await fixture.RestartSiloAsync();
        _kit = new SettlementKit(fixture.Grains);
    }

    private Task<CheckoutView> WaitForStage(string store, string checkoutId, CheckoutStage stage) =>
        SettlementKit.Eventually(
            async () => (await _kit.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store, checkoutId)).Get())!,
            view => view.Stage == stage,
            FlowTimeout);

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
