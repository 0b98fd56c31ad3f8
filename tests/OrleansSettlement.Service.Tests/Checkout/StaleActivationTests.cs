using Orleans.Core.Internal;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>
/// A refusal that rests on something an activation does not hold is confirmed against the stored row first. Orleans'
/// default grain directory can briefly run a second activation of a grain after a silo dies; the other one writes, this
/// one's memory is behind. Here a fresh activation reads a row that is then changed behind its back through the silo's
/// own storage provider, which is exactly what the other activation's write does. (Found by the chaos set: a payer's S1 refused
/// <c>unknown_agreement</c> by a leader wallet whose <c>Lead</c> had been written by another activation.)
/// </summary>
[Collection(SettlementCollection.Name)]
public sealed class StaleActivationTests(SettlementFixture fixture) : IDisposable
{
    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task S1_AtALeaderActivationThatMissedItsLead_ReadsTheRowAgainAndKeepsTheContribution()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);
        var leader = _kit.Wallet(world.Alice);
        var row = await fixture.ReadRowAsync<WalletState>("wallet", leader);
        var led = Assert.Single(row.State!.Leading, l => l.AgreementId == agreement.Id);

        // A fresh activation reads the row without the agreement (as a second activation made before the Lead would).
        row.State!.Leading.Remove(led);
        await fixture.WriteRowAsync("wallet", leader, row);
        await leader.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.NotNull(await leader.GetProfile());

        // Another activation's Lead writes the agreement back: the row has it, this activation's memory does not.
        row.State!.Leading.Add(led);
        await fixture.WriteRowAsync("wallet", leader, row);

        var reply = await leader.ReceiveContribution(await checkout.Contribution(world.Bob));

        Assert.True(reply.IsOk, reply.Refusal?.Code + ": " + reply.Refusal?.Detail);
        Assert.Single(await leader.GetContributions(agreement.Id));
    }

    [Fact]
    public async Task S1_ForAnAgreementTheLeaderNeverProposed_StillRefusedAfterTheRowIsRead()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);
        var leader = _kit.Wallet(world.Alice);
        var row = await fixture.ReadRowAsync<WalletState>("wallet", leader);
        row.State!.Leading.RemoveAll(l => l.AgreementId == agreement.Id);
        await fixture.WriteRowAsync("wallet", leader, row);
        await leader.Cast<IGrainManagementExtension>().DeactivateOnIdle();

        var reply = await leader.ReceiveContribution(await checkout.Contribution(world.Bob));

        Assert.False(reply.IsOk);
        Assert.Equal("unknown_agreement", reply.Refusal!.Code);
        Assert.Empty(await leader.GetContributions(agreement.Id));
    }

    [Fact]
    public async Task S2_AtACheckoutActivationThatMissedItsProposal_ReadsTheRowAgainAndSendsTheChallenges()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);
        await checkout.SendToLeader();
        var bundle = await checkout.LeaderBundle();
        var grain = fixture.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(world.Store.Id, checkout.CheckoutId));
        var row = await fixture.ReadRowAsync<CheckoutState>("checkout", grain);
        var proposed = (row.State!.AgreementId, row.State!.AgreementJson, row.State!.Stage);

        // A fresh activation reads the checkout as it was before the proposal.
        (row.State!.AgreementId, row.State!.AgreementJson, row.State!.Stage) = (null, null, CheckoutStage.Open);
        await fixture.WriteRowAsync("checkout", grain, row);
        await grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(CheckoutStage.Open, (await grain.Get())!.Stage);

        // The proposal is written again, as another activation wrote it: this activation still thinks "open".
        (row.State!.AgreementId, row.State!.AgreementJson, row.State!.Stage) = proposed;
        await fixture.WriteRowAsync("checkout", grain, row);

        var reply = await checkout.SubmitBundle(bundle);

        Assert.True(reply.IsOk, reply.Refusal?.Code + ": " + reply.Refusal?.Detail);
        Assert.Equal(CheckoutStage.Challenging, reply.Value!.Stage);
        Assert.Equal(agreement.Id, reply.Value.AgreementId);
    }

    public void Dispose() => _kit.Dispose();
}
