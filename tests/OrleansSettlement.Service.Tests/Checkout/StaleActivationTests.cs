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
/// a wallet's lead is never written, so that refusal stands: the leader proposes again.) A checkout's session before S7
/// is held by the activation that opened it (ADR 0017): another activation that finds the row opened behind its back
/// must end that session, not carry it on from the row (more in <see cref="CheckoutSessionTests"/>).
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
    public async Task S2_AtACheckoutActivationThatMissedTheOpening_ReadsTheRowAgain_AndEndsTheSessionItDoesNotHold()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var template = await fixture.ReadRowAsync<CheckoutState>("checkout", checkout.Grain);

        // A fresh activation of another checkout reads no row; then another activation opens it behind its back.
        var other = _kit.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(world.Store.Id, checkout.CheckoutId + "-b"));
        Assert.Null(await other.Get());
        var opened = new GrainState<CheckoutState> { State = template.State! };
        await fixture.WriteRowAsync("checkout", other, opened);

        var participants = world.Shares.Select(s => new ProposedParticipant(s.Payer.PublicJwkJson, s.Payer.Institution, s.ShareMinor)).ToList();
        var reply = await other.ProposeAgreement(world.Alice.Wallet, participants);

        // It holds no session for that row, so it must not carry one on from the row: it ends the checkout.
        Assert.False(reply.IsOk);
        Assert.Equal("checkout_session_lost", reply.Refusal!.Code);
        Assert.Equal(CheckoutStage.Aborted, (await fixture.ReadRowAsync<CheckoutState>("checkout", other)).State!.Stage);
    }

    public void Dispose() => _kit.Dispose();
}
