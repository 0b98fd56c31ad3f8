using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>
/// Whole flows at grain level, S1-S10, with the real bank grains: all or nothing, as PROTOCOL-CHOICES fixes it.
/// </summary>
[Collection(SettlementCollection.Name)]
public sealed class CheckoutSettlementTests(SettlementFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(20);

    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task GroupCheckout_ThreePayersAtTwoBanks_SettledWithReceiptCreditAndChange()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);

        var lastAnswer = await checkout.AnswerAll();
        var settled = await checkout.WaitForStage(CheckoutStage.Settled, FlowTimeout);

        Assert.Equal(CheckoutStage.Settling, lastAnswer.Stage);
        Assert.Equal(CheckoutStage.Settled, settled.Stage);
        Assert.Null(settled.AbortReason);
        var receipt = settled.Receipt!;
        Assert.Equal(checkout.AgreementId, receipt.AgreementId);
        Assert.Equal((world.Store.Id, world.Store.Institution, world.Store.Account), (receipt.Store, receipt.PayeeInstitution, receipt.PayeeAccount));
        Assert.Equal(("EUR", ThreePayers.TotalMinor), (receipt.Currency, receipt.TotalMinor));
        Assert.Equal(
            [(world.Alice.Wallet, world.BankA, 4_000L, 1_000L), (world.Bob.Wallet, world.BankB, 3_000L, 1_000L), (world.Carol.Wallet, world.BankA, 5_000L, 500L)],
            receipt.Payers.Select(l => (l.Wallet, l.Institution, l.PaidMinor, l.ChangeMinor)));
        Assert.Equal(["S2", "S3", "S4", "S6", "S6", "S6", "S7", "S8", "S8", "S8", "S9", "S10", "S10", "S10"], settled.Steps.Select(s => s.Step));
        Assert.Contains(settled.Steps, s => s.Step == "S9" && s.Detail == "commit decided");

        // The store is credited the total, each payer paid its share exactly and got its change back as a note.
        Assert.Equal(ThreePayers.TotalMinor, await _kit.Balance(world.Store.Institution, world.Store.Account));
        foreach (var note in world.AllNotes)
        {
            Assert.Equal(NoteState.Spent, (await _kit.Note(note).Get())!.State);
        }

        foreach (var line in receipt.Payers)
        {
            var payer = world.Payers.Single(p => p.Wallet == line.Wallet);
            var notes = await SettlementKit.Eventually(() => _kit.Wallet(payer).ListNotes(), n => n.Count == 1 && n[0].State == NoteState.Outstanding);
            var change = SettlementKit.ParseNote(Assert.Single(notes).NoteJson).Value;
            Assert.Equal((line.ChangeMinor, payer.Wallet, payer.Institution), (change.Amount.AmountMinor, change.Holder, change.Issuer));
            Assert.Equal(change.Serial, SettlementKit.ParseNote(Assert.Single(line.ChangeNoteJsons)).Value.Serial);
        }

        // Conservation: what was deposited is in accounts or outstanding notes (the change), nowhere else.
        var balances = await _kit.Balance(world.Store.Institution, world.Store.Account)
            + await _kit.Balance(world.BankA, world.Alice.Account) + await _kit.Balance(world.BankB, world.Bob.Account) + await _kit.Balance(world.BankA, world.Carol.Account);
        Assert.Equal(3 * ThreePayers.DepositMinor, balances + receipt.Payers.Sum(l => l.ChangeMinor));

        var settlement = (await _kit.Settlement(checkout.AgreementId).Get())!;
        Assert.Equal(SettlementStage.Completed, settlement.Stage);
        Assert.Equal(DecisionKind.Commit, settlement.Decision!.Kind);
        Assert.Equal(3, settlement.Decision.ResultJsons.Count);

        // The payers' mailboxes are cleared and the checkout is remembered; a repeated answer is answered alike.
        var key = GrainKeys.Checkout(world.Store.Id, checkout.CheckoutId);
        foreach (var payer in world.Payers)
        {
            Assert.Contains(key, await SettlementKit.Eventually(() => _kit.Wallet(payer).GetRecentCheckouts(), r => r.Contains(key)));
            Assert.Empty(await _kit.Wallet(payer).GetChallenges());
        }

        Assert.Empty(await _kit.Wallet(world.Alice).GetContributions(checkout.AgreementId));
    }

    [Fact]
    public async Task GroupCheckout_OneBankVotesInvalid_EveryBankAbortsAndReleasesItsHolds()
    {
        var world = await ThreePayers.Create(_kit);
        var first = await world.OpenCheckout(_kit, orderRef: "order-1");
        var second = await _kit.OpenCheckout(world.Store, 7_000, orderRef: "order-2");
        var bobFresh = await _kit.Withdraw(world.Bob, 3_000);
        await first.RunToChallenges(world.Alice, world.Shares);

        // Alice offers the same note to a second checkout before the first settles: it is outstanding at S4 for both.
        await second.RunToChallenges(world.Alice, new Share(world.Alice, 4_000, world.AliceNotes), new Share(world.Bob, 3_000, bobFresh));
        await first.AnswerAll();
        Assert.Equal(CheckoutStage.Settled, (await first.WaitForStage(CheckoutStage.Settled, FlowTimeout)).Stage);
        await second.AnswerAll();
        var aborted = await second.WaitForStage(CheckoutStage.Aborted, FlowTimeout);

        // Bank A finds Alice's note spent (S8) and votes invalid; banks B and C voted valid, and all release.
        Assert.Equal(CheckoutStage.Aborted, aborted.Stage);
        Assert.Contains(aborted.AbortReason!.Code, new[] { "note_already_spent", "note_held_elsewhere" });
        Assert.Contains(world.BankA, aborted.AbortReason.Detail, StringComparison.Ordinal);
        Assert.Null(aborted.Receipt);
        var settlement = await SettlementKit.Eventually(() => _kit.Settlement(second.AgreementId).Get(), s => s!.Stage == SettlementStage.Completed, FlowTimeout);
        Assert.Equal(SettlementStage.Completed, settlement!.Stage);
        Assert.Equal(DecisionKind.Abort, settlement.Decision!.Kind);
        Assert.Equal(world.BankA, VerificationResult.Parse(System.Text.Json.Nodes.JsonNode.Parse(Assert.Single(settlement.Decision.ResultJsons))).Value.Value.Institution);
        Assert.All(settlement.Acknowledgements, a => Assert.Equal(DecisionKind.Abort, a.Kind));
        Assert.Equal(BankPartStage.Released, (await _kit.BankPart(world.BankB, second.AgreementId).Get()).Stage);

        // Nothing of the second checkout moved: Bob's fresh note is outstanding again, the store has the first total only.
        Assert.Equal(NoteState.Outstanding, (await _kit.Note(Assert.Single(bobFresh)).Get())!.State);
        Assert.Equal(ThreePayers.TotalMinor, await _kit.Balance(world.Store.Institution, world.Store.Account));
        Assert.Equal(ThreePayers.DepositMinor - 4_000 - 3_000, await _kit.Balance(world.BankB, world.Bob.Account));
        Assert.Contains(aborted.Steps, s => s.Step == "S9" && s.Detail.StartsWith("abort decided", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GroupCheckout_APayerNeverAnswers_CheckoutExpiresAndNothingMoved()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit, lifetime: TimeSpan.FromSeconds(4));
        await checkout.RunToChallenges(world.Alice, world.Shares);
        var carolsChallenge = (await checkout.Challenge(world.Carol))!;
        await checkout.AnswerAll(except: world.Carol);

        var expired = await checkout.WaitForStage(CheckoutStage.Aborted, FlowTimeout);
        var late = await checkout.Grain.SubmitResponse(world.Carol.Wallet, await checkout.Response(world.Carol, carolsChallenge.ChallengeJson));

        Assert.Equal(CheckoutStage.Aborted, expired.Stage);
        Assert.Equal("checkout_expired", expired.AbortReason!.Code);
        Assert.Equal("checkout_expired", late.Refusal?.Code);
        Assert.Null(await _kit.Settlement(checkout.AgreementId).Get());
        foreach (var institution in new[] { world.BankA, world.BankB, world.BankC })
        {
            Assert.Equal(BankPartStage.None, (await _kit.BankPart(institution, checkout.AgreementId).Get()).Stage);
        }

        foreach (var note in world.AllNotes)
        {
            Assert.Equal(NoteState.Outstanding, (await _kit.Note(note).Get())!.State);
        }

        Assert.Equal(0, await _kit.Balance(world.Store.Institution, world.Store.Account));
        Assert.Null(await SettlementKit.Eventually(() => checkout.Challenge(world.Carol), c => c is null));
    }

    [Fact]
    public async Task Retries_SameCallsAgain_AnsweredAlikeWithoutNewChallenges()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var opened = checkout.Opened;
        var again = await checkout.Grain.Open(opened.OrderRef, opened.Currency, opened.TotalMinor, opened.ExpiresAt, opened.ItemsHash);
        var otherTotal = await checkout.Grain.Open(opened.OrderRef, opened.Currency, opened.TotalMinor + 1, opened.ExpiresAt, opened.ItemsHash);
        var first = await checkout.RunToChallenges(world.Alice, world.Shares);
        var challenge = await checkout.Challenge(world.Bob);

        var bundleAgain = SettlementKit.Ok(await checkout.SubmitBundle(await checkout.LeaderBundle()), "the same bundle again");
        var otherBundle = await checkout.SubmitBundle([.. (await checkout.Contributions()).Take(2), await checkout.Contribution(world.Carol) with { NoteJsons = [.. world.CarolNotes.Reverse()] }]);
        var response = await checkout.Response(world.Bob, challenge!.ChallengeJson);
        var answered = SettlementKit.Ok(await checkout.Grain.SubmitResponse(world.Bob.Wallet, response), "Bob's answer");
        var answeredAgain = SettlementKit.Ok(await checkout.Grain.SubmitResponse(world.Bob.Wallet, response), "Bob's answer again");

        Assert.True(again.IsOk);
        Assert.Equal("already_exists", otherTotal.Refusal?.Code);
        Assert.Equal(first.Steps, bundleAgain.Steps);
        Assert.Equal(challenge, await checkout.Challenge(world.Bob));
        Assert.Equal("already_exists", otherBundle.Refusal?.Code);
        Assert.Equal(answered.Steps, answeredAgain.Steps);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test of the whole flow: every invariant, from the stored rows.</summary>
    public async Task DisposeAsync()
    {
        _kit.Dispose();
        await fixture.AssertInvariantsAsync();
    }
}
