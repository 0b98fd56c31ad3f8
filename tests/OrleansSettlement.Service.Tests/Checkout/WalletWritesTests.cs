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
        Assert.Contains(untouched.State!.Leading, l => l.AgreementId == agreement.Id);
        Assert.DoesNotContain(key, untouched.State.RecentCheckouts);

        // The deactivation writes it; the next activation reads it back.
        await leader.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal([key], await SettlementKit.Eventually(() => leader.GetRecentCheckouts(), r => r.Count > 0));
        var stored = (await Row(leader)).State!;
        Assert.Equal([key], stored.RecentCheckouts);
        Assert.DoesNotContain(stored.Leading, l => l.AgreementId == agreement.Id);
    }

    [Fact]
    public async Task AgreementEnded_GoesWithTheNextWrite_AndSurvivesARowReadAgain()
    {
        var world = await ThreePayers.Create(_kit);
        var first = await world.OpenCheckout(_kit, orderRef: "order-a");
        var ended = await first.Propose(world.Alice, world.Shares);
        var leader = _kit.Wallet(world.Alice);
        var endedKey = GrainKeys.Checkout(world.Store.Id, first.CheckoutId);
        await leader.AgreementEnded(ended.Id, world.Store.Id, first.CheckoutId);
        Assert.Contains(endedKey, await SettlementKit.Eventually(() => leader.GetRecentCheckouts(), r => r.Count > 0));

        // A refusal that reads the row again (an S1 for the ended agreement: the row still names it) keeps the unsaved end.
        var refused = await leader.ReceiveContribution(await first.Contribution(world.Bob));
        Assert.False(refused.IsOk);
        Assert.Equal([endedKey], await leader.GetRecentCheckouts());
        Assert.DoesNotContain(endedKey, (await Row(leader)).State!.RecentCheckouts);

        // The wallet's next write (it leads another agreement) stores the end with it.
        var next = await world.OpenCheckout(_kit, orderRef: "order-c");
        var led = await next.Propose(world.Alice, world.Shares);
        var stored = (await Row(leader)).State!;
        Assert.Equal([endedKey], stored.RecentCheckouts);
        Assert.DoesNotContain(stored.Leading, l => l.AgreementId == ended.Id);
        Assert.Contains(stored.Leading, l => l.AgreementId == led.Id);
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
