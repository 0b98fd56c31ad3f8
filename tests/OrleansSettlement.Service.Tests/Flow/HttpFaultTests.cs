using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// Faults between S7 and S10 seen by the apps over HTTP: a bank unreachable for a while (its Verify calls dropped), and the
/// silo restarted on the same storage between S7 and S10. The outcome waits, then completes; nothing is lost or done
/// twice; every invariant holds afterwards.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class HttpFaultTests(FlowFixture fixture) : IAsyncLifetime
{
    private readonly FlowParties _parties = new(fixture);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        fixture.Faults.Clear();
        _parties.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    [Fact]
    public async Task BankUnreachableForAWhile_OutcomeWaitsThenSettlesWhenItIsBack()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares);
        fixture.Faults.Block(world.BankB.Name, nameof(IBankAgreementGrain.Verify));
        var dropped = fixture.Faults.Dropped;

        Assert.Equal(CheckoutStages.Settling, (await checkout.AnswerAllAsync()).Stage);

        // Bank B is unreachable: the settlement waits (the vote timeout is far) and the checkout stays settling.
        await FlowAssert.Eventually(() => Task.FromResult(fixture.Faults.Dropped), d => d >= dropped + 2, TimeSpan.FromSeconds(10));
        Assert.True(fixture.Faults.Dropped >= dropped + 2, "the settlement grain did not retry the unreachable bank.");
        var waiting = await checkout.GetAsync();
        Assert.Equal(CheckoutStages.Settling, waiting.Stage);
        Assert.Equal(0, (await world.Store.Bank.Operator.GetAccountAsync(world.Store.Account)).BalanceMinor);
        await FlowAssert.NotesInStateAsync(world.Bob, shares[1].Notes, "outstanding");

        fixture.Faults.Unblock(world.BankB.Name, nameof(IBankAgreementGrain.Verify));
        var settled = FlowAssert.Settled(await checkout.WaitForOutcomeAsync());
        Assert.Equal(FlowWorld.TotalMinor, settled.Receipt!.TotalMinor);
        Assert.Equal(FlowWorld.TotalMinor, (await world.Store.Bank.Operator.GetAccountAsync(world.Store.Account)).BalanceMinor);
    }

    [Fact]
    public async Task SiloRestartedAfterS7BeforeS10_CompletesOnceAfterRestart()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares);
        foreach (var bank in world.Banks)
        {
            fixture.Faults.Block(bank.Name, nameof(IBankAgreementGrain.Decide));
        }

        Assert.Equal(CheckoutStages.Settling, (await checkout.AnswerAllAsync()).Stage);

        // Every bank voted VALID and the commit is persisted, but no bank has heard of it (S10 not begun). The apps cannot
        // see the decision over HTTP yet, so the test looks behind the API (it only reads).
        var decided = await FlowAssert.Eventually(
            () => fixture.Grains.GetGrain<ISettlementGrain>(checkout.AgreementId).Get(),
            s => s?.Decision is not null,
            TimeSpan.FromSeconds(20));
        Assert.Equal(DecisionKind.Commit, decided?.Decision?.Kind);
        Assert.Equal(CheckoutStages.Settling, (await checkout.GetAsync()).Stage);

        await fixture.RestartSiloAsync();
        foreach (var bank in world.Banks)
        {
            fixture.Faults.Unblock(bank.Name, nameof(IBankAgreementGrain.Decide));
        }

        var settled = FlowAssert.Settled(await checkout.WaitForOutcomeAsync(TimeSpan.FromSeconds(45)));

        // Nothing lost or doubled: the store was credited exactly once, every payer paid its share and holds exactly one
        // change note (the one on the receipt), and every note it spent is spent.
        Assert.Equal(FlowWorld.TotalMinor, (await world.Store.Bank.Operator.GetAccountAsync(world.Store.Account)).BalanceMinor);
        long[] change = [1_000, 1_000, 500];
        for (var i = 0; i < shares.Length; i++)
        {
            var payer = shares[i].Payer;
            var line = Assert.Single(settled.Receipt!.Payers, l => l.Wallet == payer.WalletId);
            Assert.Equal(shares[i].ShareMinor, line.PaidMinor);
            Assert.Equal(change[i], line.ChangeMinor);
            var changeNote = Assert.Single(line.ChangeNotes);

            var listed = await FlowAssert.Eventually(
                () => FlowAssert.NotesAsync(payer),
                notes => notes.Values.Any(n => n.State == "outstanding"));
            var outstanding = Assert.Single(listed.Values, n => n.State != "spent");
            Assert.Equal("outstanding", outstanding.State);
            Assert.Equal(FlowParties.Serial(changeNote), FlowParties.Serial(outstanding.Note));
            Assert.Equal(change[i], Note.Parse(outstanding.Note.DeepClone()).Value.Value.Amount.AmountMinor);
            Assert.All(shares[i].Notes, n => Assert.False(listed.TryGetValue(FlowParties.Serial(n), out var x) && x.State != "spent", $"note {FlowParties.Serial(n)} of {payer} is not spent."));
        }

        var account = await world.BankA.Operator.GetAccountAsync(world.Alice.Account);
        Assert.Equal(50_000 - 5_000, account.BalanceMinor);
    }
}
