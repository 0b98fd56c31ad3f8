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
/// <c>unknown_agreement</c> by a leader wallet whose <c>Lead</c> had been written by another activation. Since ADR 0018
/// a wallet's lead is never written, so that refusal stands: the leader proposes again.)
/// </summary>
[Collection(SettlementCollection.Name)]
public sealed class StaleActivationTests(SettlementFixture fixture) : IDisposable
{
    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task S1_AtALeaderActivationThatMissedItsLead_IsRefused_ForTheRowNeverHoldsTheLead()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);
        var leader = _kit.Wallet(world.Alice);

        // Another activation of the leader's wallet (as after a silo's failure) did not see the Lead: it is in the first
        // activation's memory only, never in the row (ADR 0018), so there is nothing to read again and the S1 is refused
        // until the leader proposes again.
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
