using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Protocol.Signing;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>S1 for an agreement no checkout proposed: the leader's mailbox must not keep it.</summary>
[Collection(FlowCollection.Name)]
public sealed class MailboxFloodTests(FlowFixture fixture) : IAsyncLifetime
{
    private readonly FlowParties _parties = new(fixture);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _parties.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    [Fact]
    public async Task ContributionsForAgreementsNoCheckoutProposed_WithMadeUpNotes_DoNotBlockTheLeadersMailbox()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var mallory = await _parties.CreatePayerAsync(world.BankB, 0, "mallory");

        // Mallory (a registered wallet with no money) makes up agreements that name Alice as leader, expiring in a year,
        // and notes of her own bank signed by her own key, and sends one contribution for each to Alice's mailbox.
        var refused = 0;
        for (var i = 0; i < 17; i++)
        {
            var now = Timestamps.Truncate(DateTimeOffset.UtcNow);
            var note = (await SignedObject.SignAsync(
                new Note(BinaryIds.NewRandom(), world.BankB.Name, mallory.Key.PublicKey.Thumbprint, Money.Create("EUR", 1_000).Value, mallory.WalletId, now, now + TimeSpan.FromDays(365)).ToContent(),
                Purposes.Note,
                mallory.Key)).Value;
            var agreement = new Agreement(
                world.Store.Name,
                $"bogus-{i}",
                Money.Create("EUR", 2_000).Value,
                new Payee(world.Store.Institution, world.Store.Account),
                [
                    new Participant(world.Alice.WalletId, world.Alice.Key.PublicKey, world.Alice.Institution, Money.Create("EUR", 1_000).Value),
                    new Participant(mallory.WalletId, mallory.Key.PublicKey, mallory.Institution, Money.Create("EUR", 1_000).Value),
                ],
                world.Alice.WalletId,
                now + TimeSpan.FromDays(365),
                SettlementIds.ItemsHash("nothing")).ToContent();
            var contribution = await mallory.Wallet.ContributionAsync(agreement, [note]);
            try
            {
                await mallory.Wallet.SendContributionAsync(world.Alice.WalletId, contribution);
            }
            catch (SettlementApiException refusal) when (refusal.Code == "unknown_agreement" && refusal.Status == 404)
            {
                refused++;
            }
        }

        // Alice's real checkout: Bob's genuine contribution must still reach her mailbox.
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.ProposeAsync(world.Alice, shares);
        var bobs = await checkout.ContributionAsync(checkout.ShareOf(world.Bob));
        var receipt = await world.Bob.Wallet.SendContributionAsync(world.Alice.WalletId, bobs);
        Assert.Equal(checkout.AgreementId, receipt.AgreementId);
        Assert.Equal(17, refused);
    }
}
