using System.Text;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>Whole group checkouts through the API with the SDK, as the apps run them.</summary>
[Collection(ApiCollection.Name)]
public sealed class CheckoutFlowTests(ApiFixture api) : IDisposable
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);

    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task GroupCheckout_ThreePayersTwoBanks_SettlesAndEveryoneGetsChange()
    {
        var bankA = await _parties.CreateBankAsync("bank-a");
        var bankB = await _parties.CreateBankAsync("bank-b");
        var bankC = await _parties.CreateBankAsync("bank-c");
        var store = await _parties.CreateStoreAsync(bankC, "cafe");
        var alice = await _parties.CreatePayerAsync(bankA, 10_000, "alice");
        var bob = await _parties.CreatePayerAsync(bankB, 10_000, "bob");
        var carol = await _parties.CreatePayerAsync(bankA, 10_000, "carol");
        var aliceNotes = (await alice.Wallet.WithdrawAsync([5_000])).Notes;
        var bobNotes = (await bob.Wallet.WithdrawAsync([2_000, 2_000])).Notes;
        var carolNotes = (await carol.Wallet.WithdrawAsync([5_000, 500])).Notes;

        // The store opens the checkout; Alice (the leader) proposes the shares.
        var checkout = await store.Session.OpenCheckoutAsync("order-2026-0042", "EUR", 12_000, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 coffees"));
        var proposed = await alice.Wallet.ProposeAgreementAsync(store.Name, checkout.CheckoutId,
        [
            new(alice.Key.PublicKey.ToJson(), bankA.Name, 4_000),
            new(bob.Key.PublicKey.ToJson(), bankB.Name, 3_000),
            new(carol.Key.PublicKey.ToJson(), bankA.Name, 5_000),
        ]);
        Assert.Equal(CheckoutStages.AgreementProposed, proposed.Stage);
        var agreement = proposed.Agreement!;
        Assert.Equal(proposed.AgreementId, Agreement.Parse(agreement).Value.Id);

        // S1: Bob and Carol read the agreement from the checkout (by its id) and send their contributions to Alice.
        foreach (var (payer, notes) in new[] { (bob, bobNotes), (carol, carolNotes) })
        {
            var seen = await payer.Wallet.GetCheckoutAsync(store.Name, checkout.CheckoutId);
            var contribution = await payer.Wallet.ContributionAsync(seen.Agreement!, notes);
            var receipt = await payer.Wallet.SendContributionAsync(alice.WalletId, contribution);
            Assert.Equal(proposed.AgreementId, receipt.AgreementId);
        }

        // S2: Alice bundles her mailbox and her own contribution.
        var mailbox = await alice.Wallet.GetContributionsAsync(proposed.AgreementId!);
        Assert.Equal(2, mailbox.Contributions.Count);
        var bundle = mailbox.Contributions.Append(await alice.Wallet.ContributionAsync(agreement, aliceNotes)).ToList();
        var challenging = await alice.Wallet.SubmitBundleAsync(store.Name, checkout.CheckoutId, bundle);
        Assert.Equal(CheckoutStages.Challenging, challenging.Stage);

        // S4/S5: each payer answers the challenge in its mailbox.
        foreach (var (payer, notes) in new[] { (alice, aliceNotes), (bob, bobNotes), (carol, carolNotes) })
        {
            var challenge = Assert.Single((await payer.Wallet.GetChallengesAsync()).Challenges, c => c.CheckoutId == checkout.CheckoutId);
            await payer.Wallet.AnswerChallengeAsync(challenge, notes);
        }

        var settled = await store.Session.WaitForOutcomeAsync(checkout.CheckoutId, SettleTimeout);
        Assert.True(settled.Stage == CheckoutStages.Settled, $"stage {settled.Stage}: {settled.AbortReason?.Code} {settled.AbortReason?.Detail}");
        Assert.NotNull(settled.Receipt);
        Assert.Equal(12_000, settled.Receipt.TotalMinor);
        Assert.Equal(new PayeeInfo(bankC.Name, store.Account), settled.Receipt.Payee);
        Assert.Equal(12_000, (await bankC.Operator.GetAccountAsync(store.Account)).BalanceMinor);
        var change = settled.Receipt.Payers.ToDictionary(p => p.Wallet, p => p.ChangeMinor);
        Assert.Equal(1_000, change[alice.WalletId]);
        Assert.Equal(1_000, change[bob.WalletId]);
        Assert.Equal(500, change[carol.WalletId]);

        // Each payer's wallet now holds its change note, outstanding, and lists the checkout.
        var aliceHolds = await Eventually(() => alice.Wallet.GetNotesAsync(), n => n.Notes.Any(x => x.State == "outstanding"));
        Assert.Equal(1_000, Note.Parse(Assert.Single(aliceHolds.Notes, x => x.State == "outstanding").Note).Value.Value.Amount.AmountMinor);
        var recent = await Eventually(() => bob.Wallet.GetRecentCheckoutsAsync(), r => r.Checkouts.Count > 0);
        Assert.Contains(new CheckoutReference(store.Name, checkout.CheckoutId), recent.Checkouts);

        await api.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Contribution_ThroughTheMailbox_SignedObjectsStillVerify()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var alice = await _parties.CreatePayerAsync(bank, 5_000, "alice");
        var bob = await _parties.CreatePayerAsync(bank, 5_000, "bob");
        var bobNotes = (await bob.Wallet.WithdrawAsync([700, 300])).Notes;
        var checkout = await store.Session.OpenCheckoutAsync("order-1", "EUR", 1_500, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("memo"));
        var agreement = (await alice.Wallet.ProposeAgreementAsync(store.Name, checkout.CheckoutId,
            [new(alice.Key.PublicKey.ToJson(), bank.Name, 500), new(bob.Key.PublicKey.ToJson(), bank.Name, 1_000)])).Agreement!;
        var contribution = await bob.Wallet.ContributionAsync(agreement, bobNotes);

        // Sent as the exact text below: signed objects with extra whitespace and escaped characters. The API passes their
        // text on untouched, and their canonical forms (what is signed) are unchanged.
        var body = "{ \"agreementInfo\" : " + Spaced(contribution.AgreementInfo)
            + ", \"requestInfo\":" + Spaced(contribution.RequestInfo).Replace("\"EUR\"", "\"\\u0045UR\"", StringComparison.Ordinal)
            + ", \"notes\": [" + string.Join(" , ", contribution.Notes.Select(Spaced)) + "] }";
        using var request = await bob.Wallet.CreateSignedRequestAsync(HttpMethod.Post, $"v1/wallets/{alice.WalletId}/contributions", Encoding.UTF8.GetBytes(body), SettlementIds.NewIdempotencyKey());
        var received = await bob.Wallet.SendAsync<ContributionReceipt>(request);
        Assert.Equal(1, received.ContributionsHeld);

        var mailbox = await alice.Wallet.GetContributionsAsync(received.AgreementId);
        var stored = Assert.Single(mailbox.Contributions);
        var keys = await api.Client.GetInstitutionKeysAsync(bank.Name);
        Assert.Equal(bobNotes.Count, stored.Notes.Count);
        for (var i = 0; i < bobNotes.Count; i++)
        {
            Assert.Equal(Jcs.CanonicalizeToString(bobNotes[i]), Jcs.CanonicalizeToString(stored.Notes[i]));
            var note = Note.Parse(stored.Notes[i]).Value;
            var issuerKey = PublicJwk.Parse(keys.Keys.Single(k => k["kid"]!.GetValue<string>() == note.Value.IssuerKeyId)).Value;
            Assert.Null(Note.Check(note, bank.Name, issuerKey, bob.WalletId, DateTimeOffset.UtcNow));
        }

        Assert.Null(RequestInfo.Parse(stored.RequestInfo).Value.VerifySignature(bob.Key.PublicKey, Purposes.Request));
        var info = AgreementInfo.Parse(stored.AgreementInfo).Value;
        Assert.Null(info.Acceptance.VerifySignature(bob.Key.PublicKey, Purposes.Acceptance));
        Assert.Equal(Agreement.Parse(agreement).Value.Id, info.Agreement.Id);
    }

    [Fact]
    public async Task Contribution_OfAnotherWallet_Returns403()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var alice = await _parties.CreatePayerAsync(bank, 5_000, "alice");
        var bob = await _parties.CreatePayerAsync(bank, 5_000, "bob");
        var mallory = await _parties.CreatePayerAsync(bank, 0, "mallory");
        var bobNotes = (await bob.Wallet.WithdrawAsync([1_000])).Notes;
        var checkout = await store.Session.OpenCheckoutAsync("order-1", "EUR", 1_500, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("memo"));
        var agreement = (await alice.Wallet.ProposeAgreementAsync(store.Name, checkout.CheckoutId,
            [new(alice.Key.PublicKey.ToJson(), bank.Name, 500), new(bob.Key.PublicKey.ToJson(), bank.Name, 1_000)])).Agreement!;
        var bobs = await bob.Wallet.ContributionAsync(agreement, bobNotes);

        await Raw.ExpectRefusalAsync(() => mallory.Wallet.SendContributionAsync(alice.WalletId, bobs), 403, "forbidden");

        Assert.Empty((await alice.Wallet.GetContributionsAsync(Agreement.Parse(agreement).Value.Id)).Contributions);
    }

    [Fact]
    public async Task Bundle_ByANonLeader_Returns422NotTheLeader()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var alice = await _parties.CreatePayerAsync(bank, 5_000, "alice");
        var bob = await _parties.CreatePayerAsync(bank, 5_000, "bob");
        var aliceNotes = (await alice.Wallet.WithdrawAsync([500])).Notes;
        var bobNotes = (await bob.Wallet.WithdrawAsync([1_000])).Notes;
        var checkout = await store.Session.OpenCheckoutAsync("order-1", "EUR", 1_500, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("memo"));
        var agreement = (await alice.Wallet.ProposeAgreementAsync(store.Name, checkout.CheckoutId,
            [new(alice.Key.PublicKey.ToJson(), bank.Name, 500), new(bob.Key.PublicKey.ToJson(), bank.Name, 1_000)])).Agreement!;
        ContributionInfo[] bundle = [await alice.Wallet.ContributionAsync(agreement, aliceNotes), await bob.Wallet.ContributionAsync(agreement, bobNotes)];

        await Raw.ExpectRefusalAsync(() => bob.Wallet.SubmitBundleAsync(store.Name, checkout.CheckoutId, bundle), 422, "not_the_leader");

        Assert.Equal(CheckoutStages.AgreementProposed, (await store.Session.GetCheckoutAsync(checkout.CheckoutId)).Stage);
    }

    private static string Spaced(JsonObject json) => json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow >= deadline)
            {
                return value;
            }

            await Task.Delay(200);
        }
    }

    public void Dispose() => _parties.Dispose();
}
