using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// A silo shut down in order (a rolling deploy) under checkouts before S7, over HTTP: the checkout's session and the
/// wallets' mailboxes and challenges are written as the activations go and taken up by the next silo (ADR 0024), so the
/// apps go on where they were and the checkout settles. (A silo that dies instead still loses them: CheckoutSessionTests,
/// and the chaos runs.)
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class ShutdownInOrderTests(FlowFixture fixture) : IAsyncLifetime
{
    private readonly FlowParties _parties = new(fixture);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _parties.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    [Fact]
    public async Task ShutdownAfterS1_TheLeadersMailboxAndTheSessionAreTakenUp_TheCheckoutSettles()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Contributed, world.Alice, shares);

        await fixture.RestartSiloInOrderAsync();

        // The leader's app reads its mailbox on the new silo: both contributions are there; S2 goes on from them.
        var bundle = await checkout.LeaderBundleAsync();
        Assert.Equal(shares.Length, bundle.Count);
        Assert.Equal(CheckoutStages.Challenging, (await checkout.SubmitBundleAsync(bundle)).Stage);
        await checkout.AnswerAllAsync();

        var settled = FlowAssert.Settled(await checkout.WaitForOutcomeAsync(TimeSpan.FromSeconds(45)));
        Assert.Equal(FlowWorld.TotalMinor, settled.Receipt!.TotalMinor);
        Assert.Equal(FlowWorld.TotalMinor, (await world.Store.Bank.Operator.GetAccountAsync(world.Store.Account)).BalanceMinor);
    }

    [Fact]
    public async Task ShutdownWhileChallenging_TheChallengesAndTheSessionAreTakenUp_TheCheckoutSettles()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        Assert.Equal(CheckoutStages.Challenging, (await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares)).Stage);

        // One payer answers before the shutdown, the others after it.
        Assert.Equal(CheckoutStages.Challenging, (await checkout.AnswerAsync(world.Alice)).Stage);
        await fixture.RestartSiloInOrderAsync();

        Assert.Equal(CheckoutStages.Challenging, (await checkout.GetAsync()).Stage);
        await checkout.AnswerAllAsync(world.Alice);

        var settled = FlowAssert.Settled(await checkout.WaitForOutcomeAsync(TimeSpan.FromSeconds(45)));
        Assert.Equal(shares.Length, settled.Receipt!.Payers.Count);
        Assert.Equal(FlowWorld.TotalMinor, (await world.Store.Bank.Operator.GetAccountAsync(world.Store.Account)).BalanceMinor);
    }
}
