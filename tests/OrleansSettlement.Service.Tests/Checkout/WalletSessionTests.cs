using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>
/// What a wallet holds for a checkout before S7 lives in its activation's memory only (ADR 0018): the agreement its
/// leader proposed, the S1 contributions and the S4 challenges are never written, the activation is kept while they
/// pend, and a fresh activation holds none of them until the leader proposes (records the lead) again or sends its bundle
/// again. The stored row is read through the silo's own storage provider.
/// </summary>
[Collection(SettlementCollection.Name)]
public sealed class WalletSessionTests(SettlementFixture fixture) : IDisposable
{
    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task ProposeS1AndChallenges_WriteNothingAtTheWallets_AndAreServedFromMemory()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var leader = _kit.Wallet(world.Alice);
        var payer = _kit.Wallet(world.Bob);
        var leaderBefore = await Row(leader);
        var payerBefore = await Row(payer);
        var seqBefore = (await leader.GetEvents(0)).Latest;

        await checkout.RunToChallenges(world.Alice, world.Shares);

        // Served: the mailbox, the challenges and their live events.
        Assert.Equal(2, (await leader.GetContributions(checkout.AgreementId)).Count);
        Assert.NotNull(await checkout.Challenge(world.Bob));
        Assert.NotNull(await checkout.Challenge(world.Alice));
        var events = (await leader.GetEvents(seqBefore)).Events.Select(e => e.Type).ToList();
        Assert.Equal([WalletEventTypes.AgreementLed, WalletEventTypes.Contribution, WalletEventTypes.Contribution, WalletEventTypes.Challenge], events);

        // Never written: the rows are the very ones read before, and name neither the agreement nor a challenge.
        var leaderAfter = await Row(leader);
        var payerAfter = await Row(payer);
        Assert.Equal(leaderBefore.ETag, leaderAfter.ETag);
        Assert.Equal(payerBefore.ETag, payerAfter.ETag);
        Assert.DoesNotContain(checkout.AgreementId, RowText(leaderAfter), StringComparison.Ordinal);
        Assert.DoesNotContain(checkout.AgreementId, RowText(payerAfter), StringComparison.Ordinal);

        // A later write of the wallet (notes arriving) carries none of them either.
        await _kit.Withdraw(world.Alice, 100);
        var written = await Row(leader);
        Assert.NotEqual(leaderBefore.ETag, written.ETag);
        Assert.DoesNotContain(checkout.AgreementId, RowText(written), StringComparison.Ordinal);
        Assert.DoesNotContain(written.State!.Events, e => e.AgreementId is not null);
        Assert.Equal(2, (await leader.GetContributions(checkout.AgreementId)).Count);
    }

    [Fact]
    public async Task FreshLeaderActivation_RefusesS1_UntilTheLeaderProposesAgain()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);
        var leader = _kit.Wallet(world.Alice);
        Assert.True(SettlementKit.Ok(await leader.ReceiveContribution(await checkout.Contribution(world.Bob)), "S1 before") == 1);

        // The leader's activation goes (as on a silo's failure): its mailbox goes with it.
        await leader.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var refused = await leader.ReceiveContribution(await checkout.Contribution(world.Carol));

        Assert.False(refused.IsOk);
        Assert.Equal("unknown_agreement", refused.Refusal!.Code);
        Assert.Empty(await leader.GetContributions(agreement.Id));

        // The leader proposes the same agreement again at the checkout, which records the lead again and so opens the
        // mailbox again (docs/protocol.md 3.8); the payers send their contributions again.
        Assert.Equal(agreement.Id, (await checkout.Propose(world.Alice, world.Shares)).Id);
        Assert.Equal(1, SettlementKit.Ok(await leader.ReceiveContribution(await checkout.Contribution(world.Carol)), "S1 after"));
        Assert.Equal(2, SettlementKit.Ok(await leader.ReceiveContribution(await checkout.Contribution(world.Bob)), "S1 again"));
        Assert.Equal([world.Bob.Wallet, world.Carol.Wallet], (await leader.GetContributions(agreement.Id)).Select(c => c.Wallet));
    }

    [Fact]
    public async Task FreshPayerActivation_LosesItsChallenge_TheLeadersSameBundleDeliversItAgain()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.Propose(world.Alice, world.Shares);
        await checkout.SendToLeader();
        var bundle = await checkout.LeaderBundle();
        SettlementKit.Ok(await checkout.SubmitBundle(bundle), "S2");
        var challenge = await checkout.Challenge(world.Bob);
        Assert.NotNull(challenge);

        await _kit.Wallet(world.Bob).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Null(await checkout.Challenge(world.Bob));

        SettlementKit.Ok(await checkout.SubmitBundle(bundle), "S2 again");
        Assert.Equal(challenge, await checkout.Challenge(world.Bob));
        Assert.Equal(CheckoutStage.Challenging, SettlementKit.Ok(await checkout.Answer(world.Bob), "S5").Stage);
    }

    [Fact]
    public async Task PendingEntries_KeepTheActivationFromIdleCollection()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);
        var leader = _kit.Wallet(world.Alice);

        // Every idle activation is collected now, whatever its age (as the collector does after the idle time).
        await Task.Delay(100);
        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.FromMilliseconds(50));

        Assert.Equal(1, SettlementKit.Ok(await leader.ReceiveContribution(await checkout.Contribution(world.Bob)), "S1 after the collection"));
        Assert.Single(await leader.GetContributions(agreement.Id));
    }

    [Fact]
    public async Task LiveEvents_OfALostActivation_AreNeverNumberedAgain_AndTheirReadersAreToldToReadAgain()
    {
        var world = await ThreePayers.Create(_kit);
        var leader = _kit.Wallet(world.Alice);
        var stored = (await leader.GetEvents(0)).Latest;
        var checkout = await world.OpenCheckout(_kit);
        await checkout.Propose(world.Alice, world.Shares);
        var led = Assert.Single((await leader.GetEvents(stored)).Events);
        Assert.Equal(WalletEventTypes.AgreementLed, led.Type);

        // The activation goes with its memory-only event; its number is above every stored one and not stored itself.
        await leader.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var afterLoss = await leader.GetEvents(led.Seq);
        Assert.True(afterLoss.Gap);
        Assert.Equal(stored, afterLoss.Latest);

        // The next activation's first event (notes arriving) jumps above the lost number and names the last stored one
        // as its predecessor: a reader that saw the lost event reads again, one that saw the stored ones goes on.
        await _kit.Withdraw(world.Alice, 100);
        var notes = Assert.Single((await SettlementKit.Eventually(() => leader.GetEvents(stored), p => p.Events.Count > 0)).Events);
        Assert.Equal(WalletEventTypes.Notes, notes.Type);
        Assert.True(notes.Seq > led.Seq);
        Assert.Equal(stored, notes.Prev);
        Assert.False((await leader.GetEvents(stored)).Gap);
        var lostReader = await leader.GetEvents(led.Seq);
        Assert.True(lostReader.Gap);
        Assert.Equal(notes.Seq, lostReader.Latest);
    }

    public void Dispose() => _kit.Dispose();

    private Task<GrainState<WalletState>> Row(IWalletGrain wallet) => fixture.ReadRowAsync<WalletState>("wallet", wallet);

    private string RowText(GrainState<WalletState> row) =>
        System.Text.Encoding.UTF8.GetString(fixture.SiloServices.GetRequiredService<IGrainStorageSerializer>().Serialize(row.State!).ToArray());
}
