using System.Text.Json.Nodes;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Protocol.Signing;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// Bad paths refused before any bank is asked (S1-S6), each over real HTTP through the SDK against the cluster on
/// Azurite: the refusal carries its precise status and problem code, and leaves no trace in balances, holds or notes
/// (what the operators and the wallets can read is compared before and after). Every invariant is checked from the
/// stored rows after each test.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class RefusalTests(FlowFixture fixture) : IAsyncLifetime
{
    private readonly FlowParties _parties = new(fixture);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _parties.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    // ---- 1. The agreement infos differ between payers ----------------------------------------------------------------

    [Theory]
    [InlineData("orderRef")]
    [InlineData("amount")]
    public async Task AgreementInfosDiffer_OnePayerAcceptedAnotherDeal_Refused422AgreementMismatch(string what)
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.ProposeAsync(world.Alice, shares);

        // Bob's app accepts (and signs its request for) a deal with another order reference or amount. At S1 the leader's
        // mailbox already refuses it: it takes contributions only for the agreement its leader proposed.
        checkout.Tampering = new FlowTampering { Agreement = (share, agreement) => share.Payer == world.Bob ? Alter(agreement, what) : agreement };
        var bobsContribution = await checkout.ContributionAsync(checkout.ShareOf(world.Bob));
        await FlowAssert.RefusedAsync(() => world.Bob.Wallet.SendContributionAsync(world.Alice.WalletId, bobsContribution), 422, "agreement_mismatch");

        // Handed to the leader another way, it is refused by the store at S3: the agreement infos differ.
        checkout.Tampering = FlowTampering.None;
        IReadOnlyList<ContributionInfo> bundle =
        [
            bobsContribution,
            await checkout.ContributionAsync(checkout.ShareOf(world.Carol)),
            await checkout.ContributionAsync(checkout.ShareOf(world.Alice)),
        ];
        var before = await FlowSnapshot.TakeAsync(world);

        await FlowAssert.RefusedAsync(() => checkout.SubmitBundleAsync(bundle), 422, "agreement_mismatch");

        await before.AssertUnchangedAsync(world);
        Assert.Equal(CheckoutStages.AgreementProposed, (await checkout.GetAsync()).Stage);
        Assert.Empty((await world.Bob.Wallet.GetChallengesAsync()).Challenges);
    }

    // ---- 2. The shares do not sum to the total -----------------------------------------------------------------------

    [Fact]
    public async Task SharesDoNotSumToTheTotal_AtPropose_Refused422()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        checkout.Tampering = new FlowTampering { Proposal = ps => [.. ps.Select((p, i) => i == 2 ? p with { ShareMinor = p.ShareMinor - 1 } : p)] };
        var before = await FlowSnapshot.TakeAsync(world);

        await FlowAssert.RefusedAsync(() => checkout.ProposeAsync(world.Alice, shares), 422, "shares_do_not_sum_to_total");

        await before.AssertUnchangedAsync(world);
        var open = await checkout.GetAsync();
        Assert.Equal(CheckoutStages.Open, open.Stage);
        Assert.Null(open.AgreementId);

        // Nothing was fixed: the leader's correct proposal is still taken.
        checkout.Tampering = FlowTampering.None;
        Assert.Equal(CheckoutStages.AgreementProposed, (await checkout.ProposeAsync(world.Alice, shares)).Stage);
    }

    // ---- 3. The agreement is not the checkout's (amount, currency, order) ----------------------------------------------

    [Theory]
    [InlineData("amount")]
    [InlineData("currency")]
    [InlineData("orderRef")]
    public async Task EveryPayerAcceptedADealThatIsNotTheCheckouts_Refused422CheckoutMismatch(string what)
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.ProposeAsync(world.Alice, shares);

        // Every payer agrees on the same altered deal, so S3's match holds; the deal is not the checkout's.
        checkout.Tampering = new FlowTampering { Agreement = (_, agreement) => Alter(agreement, what) };
        var bundle = await checkout.AllContributionsAsync();
        var before = await FlowSnapshot.TakeAsync(world);

        await FlowAssert.RefusedAsync(() => checkout.SubmitBundleAsync(bundle), 422, "checkout_mismatch");

        await before.AssertUnchangedAsync(world);
        Assert.Equal(CheckoutStages.AgreementProposed, (await checkout.GetAsync()).Stage);
    }

    // ---- 4. Notes that are not genuine, not the payer's bank's, not the payer's, or not valid now ------------------------

    [Fact]
    public async Task ForgedNote_SignedByAKeyThatIsNotTheBanks_Refused422BadSignature()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var forger = _parties.NewKey();

        // A note of bank A (its real key id) for 500.00, with a fresh serial, signed by the forger.
        var content = Unsigned(shares[0].Notes[0]);
        content["serial"] = BinaryIds.NewRandom();
        content["amountMinor"] = 50_000;
        var forged = await Sign(content, forger);

        await RefuseAliceNotes(world, shares, [forged], 422, "bad_signature");
    }

    [Fact]
    public async Task ForgedNote_NamingAKeyTheBankDoesNotHave_Refused422UnknownKey()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var forger = _parties.NewKey();
        var content = Unsigned(shares[0].Notes[0]);
        content["serial"] = BinaryIds.NewRandom();
        content["kid"] = forger.PublicKey.Thumbprint;
        var forged = await Sign(content, forger);

        await RefuseAliceNotes(world, shares, [forged], 422, "unknown_key");
    }

    [Fact]
    public async Task NoteOfAnotherBank_InARequestNamingThePayersBank_Refused422NoteWrongIssuer()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);

        // Dave banks with bank B; Alice's request names bank A. (A wallet is registered at one bank only, so a genuine
        // bank-B note is always held by a bank-B wallet: the issuer is checked, and reported, first.)
        var dave = await _parties.CreatePayerAsync(world.BankB, 10_000, "dave");
        var bankBNote = await FlowParties.WithdrawAsync(dave, 5_000);

        await RefuseAliceNotes(world, shares, bankBNote, 422, "note_wrong_issuer", [dave]);
        await FlowAssert.NotesInStateAsync(dave, bankBNote, "outstanding");
    }

    [Fact]
    public async Task NoteHeldByAnotherPayer_Refused422NoteWrongHolder()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var erin = await _parties.CreatePayerAsync(world.BankA, 10_000, "erin");
        var erinsNote = await FlowParties.WithdrawAsync(erin, 5_000);

        await RefuseAliceNotes(world, shares, erinsNote, 422, "note_wrong_holder", [erin]);
        await FlowAssert.NotesInStateAsync(erin, erinsNote, "outstanding");
    }

    /// <summary>
    /// No HTTP route mints a note with a past expiry (notes live a year, at least a minute), so this genuine expired note
    /// of bank A is signed by bank A's own signer grain, looked up in the fixture's silo. The refusal itself is over HTTP.
    /// The note is never issued (no note row exists), so the ledger is untouched.
    /// </summary>
    [Fact]
    public async Task ExpiredNote_GenuinelySignedByTheBank_Refused422NoteExpired()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var now = Timestamps.Truncate(DateTimeOffset.UtcNow);
        var expired = await BankSignedNote(world.BankA, world.Alice, 5_000, now - TimeSpan.FromDays(366), now - TimeSpan.FromDays(1));

        await RefuseAliceNotes(world, shares, [expired], 422, "note_expired");
    }

    /// <summary>Like <see cref="ExpiredNote_GenuinelySignedByTheBank_Refused422NoteExpired"/>: a genuine note issued an hour from now.</summary>
    [Fact]
    public async Task NoteNotYetValid_GenuinelySignedByTheBank_Refused422NoteNotYetValid()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var now = Timestamps.Truncate(DateTimeOffset.UtcNow);
        var early = await BankSignedNote(world.BankA, world.Alice, 5_000, now + TimeSpan.FromHours(1), now + TimeSpan.FromDays(365));

        await RefuseAliceNotes(world, shares, [early], 422, "note_not_yet_valid");
    }

    // ---- 5. A note already spent ---------------------------------------------------------------------------------------

    [Fact]
    public async Task NoteAlreadySpent_InASettledCheckout_OfferedAgain_Refused409NoteAlreadySpent()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var first = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor, orderRef: "order-1");
        FlowAssert.Settled(await first.RunAsync(FlowStep.Outcome, world.Alice, shares));
        await FlowAssert.NotesInStateAsync(world.Alice, shares[0].Notes, "spent");

        // The same note again, with fresh notes for the others.
        var again = await FlowParties.StandardSharesAsync(world);
        again[0] = again[0] with { Notes = shares[0].Notes };
        var second = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor, orderRef: "order-2");
        await second.RunAsync(FlowStep.Contributed, world.Alice, again);
        var bundle = await second.LeaderBundleAsync();
        var before = await FlowSnapshot.TakeAsync(world);

        await FlowAssert.RefusedAsync(() => second.SubmitBundleAsync(bundle), 409, "note_already_spent");

        await before.AssertUnchangedAsync(world);
        Assert.Equal(CheckoutStages.AgreementProposed, (await second.GetAsync()).Stage);
        Assert.Equal(FlowWorld.TotalMinor, (await world.Store.Bank.Operator.GetAccountAsync(world.Store.Account)).BalanceMinor);
    }

    // ---- 7. Notes worth less than the share ------------------------------------------------------------------------------

    [Fact]
    public async Task NotesInsufficientForTheShare_RefusedAtTheMailboxAndAtTheStore_422InsufficientNotes()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);

        // Bob's share is 30.00; he presents one 20.00 note. The leader's mailbox (S1) refuses it.
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.ProposeAsync(world.Alice, shares);
        checkout.Tampering = new FlowTampering { Notes = (share, notes) => share.Payer == world.Bob ? [notes[0]] : notes };
        var before = await FlowSnapshot.TakeAsync(world);
        var bobs = await checkout.ContributionAsync(checkout.ShareOf(world.Bob));

        await FlowAssert.RefusedAsync(() => world.Bob.Wallet.SendContributionAsync(world.Alice.WalletId, bobs), 422, "insufficient_notes");

        // A leader that bundles it anyway is refused at S3.
        var bundle = await checkout.AllContributionsAsync();
        await FlowAssert.RefusedAsync(() => checkout.SubmitBundleAsync(bundle), 422, "insufficient_notes");

        await before.AssertUnchangedAsync(world);
        Assert.Empty((await world.Alice.Wallet.GetContributionsAsync(checkout.AgreementId)).Contributions);
        Assert.Equal(CheckoutStages.AgreementProposed, (await checkout.GetAsync()).Stage);
    }

    [Fact]
    public async Task OneNoteListedTwiceInARequest_Refused422DuplicateNote()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var note = shares[0].Notes[0];

        await RefuseAliceNotes(world, shares, [note, note], 422, "duplicate_note");
    }

    // ---- 8. A response that is not the payer's signature ---------------------------------------------------------------

    [Fact]
    public async Task ResponseNotThePayersSignatureOrOtherNotes_Refused422_ThenTheRealAnswerSettles()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var forger = _parties.NewKey();
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares);
        await checkout.AnswerAsync(world.Alice);
        var before = await FlowSnapshot.TakeAsync(world);

        checkout.Tampering = new FlowTampering { Response = async (_, _, response) => await Sign(Unsigned(response), forger) };
        await FlowAssert.RefusedAsync(() => checkout.AnswerAsync(world.Bob), 422, "bad_signature");

        // A signature of the right length with one bit flipped is refused alike.
        checkout.Tampering = new FlowTampering { Response = (_, _, response) => Task.FromResult(FlipSignatureBit(response)) };
        await FlowAssert.RefusedAsync(() => checkout.AnswerAsync(world.Bob), 422, "bad_signature");

        // A response signed by Bob that names other notes than his request.
        checkout.Tampering = new FlowTampering { Response = async (share, challenge, _) => await share.Payer.Wallet.SignResponseAsync(challenge.Challenge, [share.Notes[0]]) };
        await FlowAssert.RefusedAsync(() => checkout.AnswerAsync(world.Bob), 422, "notes_mismatch");

        await before.AssertUnchangedAsync(world);
        Assert.Equal(CheckoutStages.Challenging, (await checkout.GetAsync()).Stage);

        checkout.Tampering = FlowTampering.None;
        await checkout.AnswerAllAsync(world.Alice);
        FlowAssert.Settled(await checkout.WaitForOutcomeAsync());
    }

    // ---- 9. A response to a stale or another checkout's challenge ------------------------------------------------------

    [Fact]
    public async Task ResponseReplayedToAnotherCheckout_Refused422ChallengeMismatch()
    {
        var world = await _parties.CreateWorldAsync();
        var first = await _parties.OpenCheckoutAsync(world.Store, 7_000, orderRef: "order-1");
        var second = await _parties.OpenCheckoutAsync(world.Store, 7_000, orderRef: "order-2");
        await first.RunAsync(FlowStep.Bundled, world.Alice, new FlowShare(world.Alice, 4_000, await FlowParties.WithdrawAsync(world.Alice, 4_000)), new FlowShare(world.Bob, 3_000, await FlowParties.WithdrawAsync(world.Bob, 3_000)));
        await second.RunAsync(FlowStep.Bundled, world.Alice, new FlowShare(world.Alice, 4_000, await FlowParties.WithdrawAsync(world.Alice, 4_000)), new FlowShare(world.Carol, 3_000, await FlowParties.WithdrawAsync(world.Carol, 3_000)));
        Assert.Equal(CheckoutStages.Challenging, (await first.AnswerAsync(world.Alice)).Stage);
        var before = await FlowSnapshot.TakeAsync(world);

        // Alice's accepted answer at the first checkout, sent to the second.
        var replayed = first.Responses[world.Alice.WalletId];
        await FlowAssert.RefusedAsync(() => world.Alice.Wallet.SubmitResponseAsync(world.Store.Name, second.CheckoutId, replayed), 422, "challenge_mismatch");

        await before.AssertUnchangedAsync(world);
        Assert.Equal(CheckoutStages.Challenging, (await second.GetAsync()).Stage);
        await first.AnswerAllAsync(world.Alice);
        await second.AnswerAllAsync();
        FlowAssert.Settled(await first.WaitForOutcomeAsync());
        FlowAssert.Settled(await second.WaitForOutcomeAsync());
    }

    [Fact]
    public async Task ResponseToAStaleChallenge_LateIsChallengeExpired_AfterRenewalIsChallengeMismatch()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares);
        await checkout.AnswerAsync(world.Bob);
        await checkout.AnswerAsync(world.Carol);

        // Alice signs her answer but sends it only after the challenge expired.
        var stale = await checkout.ChallengeAsync(world.Alice);
        var staleResponse = await checkout.ResponseAsync(world.Alice, stale);
        var expiresAt = Challenge.Parse(stale.Challenge.DeepClone()).Value.Value.ExpiresAt;
        var wait = expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        Assert.InRange(wait, TimeSpan.Zero, FlowFixture.ChallengeLifetime + TimeSpan.FromSeconds(1));
        await Task.Delay(wait);
        var before = await FlowSnapshot.TakeAsync(world);

        await FlowAssert.RefusedAsync(() => world.Alice.Wallet.SubmitResponseAsync(stale.Store, stale.CheckoutId, staleResponse), 422, "challenge_expired");

        // The leader submits the identical bundle again: the checkout renews the expired challenge, and the answer to
        // the old one is now refused as not answering the current challenge.
        Assert.Equal(CheckoutStages.Challenging, (await checkout.SubmitBundleAsync(checkout.Bundle)).Stage);
        var renewed = await checkout.ChallengeAsync(world.Alice);
        Assert.NotEqual(Challenge.Parse(stale.Challenge.DeepClone()).Value.Id, Challenge.Parse(renewed.Challenge.DeepClone()).Value.Id);
        await FlowAssert.RefusedAsync(() => world.Alice.Wallet.SubmitResponseAsync(stale.Store, stale.CheckoutId, staleResponse), 422, "challenge_mismatch");

        await before.AssertUnchangedAsync(world);
        await checkout.AnswerAsync(world.Alice);
        FlowAssert.Settled(await checkout.WaitForOutcomeAsync());
    }

    // ---- Wallet authorization in the flow --------------------------------------------------------------------------------

    [Fact]
    public async Task AWallet_CannotAnswerAnothersChallenge_NorReadAnothersChallengesOrContributions_403Forbidden()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var mallory = await _parties.CreatePayerAsync(world.BankA, 0, "mallory");
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Contributed, world.Alice, shares);
        var before = await FlowSnapshot.TakeAsync(world);

        // Bob (a participant) and Mallory (not one) read the leader's mailbox and Alice's challenges: forbidden.
        var contributionsPath = $"v1/wallets/{world.Alice.WalletId}/contributions?agreementId={checkout.AgreementId}";
        foreach (var intruder in new[] { world.Bob, mallory })
        {
            await FlowAssert.RefusedAsync(() => Get<ContributionsInfo>(intruder, contributionsPath), 403, "forbidden");
        }

        await checkout.SubmitBundleAsync(await checkout.LeaderBundleAsync());
        var challengesPath = $"v1/wallets/{world.Alice.WalletId}/challenges";
        foreach (var intruder in new[] { world.Bob, mallory })
        {
            await FlowAssert.RefusedAsync(() => Get<ChallengesInfo>(intruder, challengesPath), 403, "forbidden");
            await FlowAssert.RefusedAsync(() => Get<WalletNotesInfo>(intruder, $"v1/wallets/{world.Alice.WalletId}/notes"), 403, "forbidden");
        }

        // Alice's own signed answer, sent by another wallet, and one Mallory signs naming Alice: forbidden.
        var alicesAnswer = await checkout.ResponseAsync(world.Alice);
        var forged = await Sign(Unsigned(alicesAnswer), mallory.Key);
        foreach (var (intruder, response) in new[] { (world.Bob, alicesAnswer), (mallory, alicesAnswer), (mallory, forged) })
        {
            await FlowAssert.RefusedAsync(() => intruder.Wallet.SubmitResponseAsync(world.Store.Name, checkout.CheckoutId, response), 403, "forbidden");
        }

        await before.AssertUnchangedAsync(world);
        Assert.DoesNotContain((await checkout.GetAsync()).Steps, s => s.Step == "S6");
        Assert.Empty((await mallory.Wallet.GetChallengesAsync()).Challenges);
        await checkout.AnswerAllAsync();
        FlowAssert.Settled(await checkout.WaitForOutcomeAsync());
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------

    /// <summary>Alice presents <paramref name="notes"/> instead of hers; S2 is refused with <paramref name="code"/>, and nothing
    /// moved for anyone (the world's parties and <paramref name="others"/>).</summary>
    private async Task RefuseAliceNotes(FlowWorld world, FlowShare[] shares, IReadOnlyList<JsonObject> notes, int status, string code, IReadOnlyList<FlowPayer>? others = null)
    {
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Contributed, world.Alice, shares);
        checkout.Tampering = new FlowTampering { Notes = (share, own) => share.Payer == world.Alice ? notes : own };
        var bundle = await checkout.LeaderBundleAsync();
        IReadOnlyList<FlowPayer> payers = [.. world.Payers, .. others ?? []];
        var before = await FlowSnapshot.TakeAsync(payers, [world.Store]);

        await FlowAssert.RefusedAsync(() => checkout.SubmitBundleAsync(bundle), status, code);

        await before.AssertUnchangedAsync(payers, [world.Store]);
        Assert.Equal(CheckoutStages.AgreementProposed, (await checkout.GetAsync()).Stage);
        foreach (var payer in world.Payers)
        {
            Assert.Empty((await payer.Wallet.GetChallengesAsync()).Challenges);
        }
    }

    /// <summary>A note of <paramref name="bank"/> held by <paramref name="holder"/>, signed by the bank's own note key
    /// through its signer grain (never issued: no note row exists).</summary>
    private async Task<JsonObject> BankSignedNote(FlowBank bank, FlowPayer holder, long amountMinor, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        var signer = fixture.Grains.GetGrain<IInstitutionSignerGrain>(bank.Name);
        var kid = await signer.GetActiveNoteKeyId() ?? throw new InvalidOperationException($"{bank} has no note key.");
        var signed = await signer.SignNotes([new NoteDraft(BinaryIds.NewRandom(), kid, FlowParties.Currency, amountMinor, holder.WalletId, issuedAt, expiresAt)]);
        return JsonNode.Parse(Assert.Single(signed))!.AsObject();
    }

    /// <summary>A GET signed by <paramref name="caller"/>'s wallet key, for a path the SDK only reads for the wallet itself.</summary>
    private static async Task<T> Get<T>(FlowPayer caller, string path)
    {
        using var request = await caller.Wallet.CreateSignedRequestAsync(HttpMethod.Get, path, null);
        return await caller.Wallet.SendAsync<T>(request);
    }

    /// <summary>The agreement with one thing changed; the result is still a coherent agreement.</summary>
    private static JsonObject Alter(JsonObject agreement, string what)
    {
        switch (what)
        {
            case "orderRef":
                agreement["orderRef"] = "order-other";
                break;
            case "amount":
                agreement["totalMinor"] = agreement["totalMinor"]!.GetValue<long>() + 100;
                var participant = agreement["participants"]![0]!.AsObject();
                participant["shareMinor"] = participant["shareMinor"]!.GetValue<long>() + 100;
                break;
            case "currency":
                agreement["currency"] = "USD";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(what), what, "orderRef, amount or currency");
        }

        return agreement;
    }

    private static JsonObject Unsigned(JsonObject signed)
    {
        var content = (JsonObject)signed.DeepClone();
        content.Remove("sig");
        return content;
    }

    private static async Task<JsonObject> Sign(JsonObject content, Protocol.Crypto.LocalSigner key)
    {
        var purpose = content["purpose"]!.GetValue<string>();
        var signed = await SignedObject.SignAsync(content, purpose, key);
        return signed.IsOk ? signed.Value : throw new InvalidOperationException($"signing failed: {signed.Error}");
    }

    private static JsonObject FlipSignatureBit(JsonObject signed)
    {
        var copy = (JsonObject)signed.DeepClone();
        var sig = copy["sig"]!.GetValue<string>().ToCharArray();
        sig[10] = sig[10] == 'A' ? 'B' : 'A';
        copy["sig"] = new string(sig);
        return copy;
    }
}
