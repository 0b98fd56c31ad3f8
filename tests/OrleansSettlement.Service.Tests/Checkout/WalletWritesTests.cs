using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>
/// What the wallet writes (ADR 0014): the end of an agreement goes with the wallet's next write or its deactivation,
/// and the notes are kept by issuer and serial only, their signed text read from each note's grain. The stored row is read
/// through the silo's own storage provider.
/// </summary>
[Collection(SettlementCollection.Name)]
public sealed class WalletWritesTests(SettlementFixture fixture) : IDisposable
{
    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task AgreementEnded_WritesNothing_ShownAtOnce_StoredAtDeactivation()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);
        var leader = _kit.Wallet(world.Alice);
        var key = GrainKeys.Checkout(world.Store.Id, checkout.CheckoutId);
        var before = await Row(leader);
        var seqBefore = (await leader.GetEvents(0)).Latest;

        await leader.AgreementEnded(agreement.Id, world.Store.Id, checkout.CheckoutId);

        // Shown at once (recent checkouts and the live feed), and the row is untouched.
        Assert.Equal(key, (await SettlementKit.Eventually(() => leader.GetRecentCheckouts(), r => r.Count > 0))[0]);
        var events = await leader.GetEvents(seqBefore);
        Assert.Contains(events.Events, e => e.Type == WalletEventTypes.CheckoutEnded && e.CheckoutId == checkout.CheckoutId);
        var untouched = await Row(leader);
        Assert.Equal(before.ETag, untouched.ETag);
        Assert.DoesNotContain(key, untouched.State!.RecentCheckouts);

        // The deactivation writes it; the next activation reads it back.
        await leader.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal([key], await SettlementKit.Eventually(() => leader.GetRecentCheckouts(), r => r.Count > 0));
        Assert.Equal([key], (await Row(leader)).State!.RecentCheckouts);
    }

    [Fact]
    public async Task AgreementEnded_DropsTheMailbox_AndGoesWithTheNextWrite()
    {
        var world = await ThreePayers.Create(_kit);
        var first = await world.OpenCheckout(_kit, orderRef: "order-a");
        var ended = await first.Propose(world.Alice, world.Shares);
        var leader = _kit.Wallet(world.Alice);
        var endedKey = GrainKeys.Checkout(world.Store.Id, first.CheckoutId);
        await leader.AgreementEnded(ended.Id, world.Store.Id, first.CheckoutId);
        Assert.Contains(endedKey, await SettlementKit.Eventually(() => leader.GetRecentCheckouts(), r => r.Count > 0));

        // The ended agreement's mailbox is gone (an S1 for it is refused); the end is not stored yet.
        var refused = await leader.ReceiveContribution(await first.Contribution(world.Bob));
        Assert.Equal("unknown_agreement", refused.Refusal?.Code);
        Assert.Equal([endedKey], await leader.GetRecentCheckouts());
        Assert.DoesNotContain(endedKey, (await Row(leader)).State!.RecentCheckouts);

        // Leading another agreement writes nothing (memory only, ADR 0018); the wallet's next write (notes arriving)
        // stores the end with it.
        var next = await world.OpenCheckout(_kit, orderRef: "order-c");
        await next.Propose(world.Alice, world.Shares);
        Assert.DoesNotContain(endedKey, (await Row(leader)).State!.RecentCheckouts);
        await _kit.Withdraw(world.Alice, 100);
        var stored = await SettlementKit.Eventually(async () => (await Row(leader)).State!, s => s.RecentCheckouts.Count > 0);
        Assert.Equal([endedKey], stored.RecentCheckouts);
    }

    [Fact]
    public async Task Notes_StoredByIssuerAndSerialOnly_ListedWithTheTextTheirIssuerSigned()
    {
        var world = await ThreePayers.Create(_kit);
        var wallet = _kit.Wallet(world.Bob);

        var stored = (await Row(wallet)).State!.Notes;
        var listed = await wallet.ListNotes();

        var expected = world.BobNotes.Select(SettlementKit.ParseNote).Select(n => (n.Value.Issuer, n.Value.Serial)).Order().ToList();
        Assert.Equal(expected, stored.Select(n => (n.Issuer, n.Serial)).Order().ToList());
        Assert.Equal(world.BobNotes.Order(StringComparer.Ordinal), listed.Select(n => n.NoteJson).Order(StringComparer.Ordinal));
        Assert.All(listed, n => Assert.Equal(NoteState.Outstanding, n.State));
        var rowText = System.Text.Encoding.UTF8.GetString(fixture.SiloServices.GetRequiredService<IGrainStorageSerializer>().Serialize((await Row(wallet)).State!).ToArray());
        Assert.DoesNotContain("\"sig\"", rowText, StringComparison.Ordinal);
    }

    public void Dispose() => _kit.Dispose();

    private Task<GrainState<WalletState>> Row(IWalletGrain wallet) => fixture.ReadRowAsync<WalletState>("wallet", wallet);
}
