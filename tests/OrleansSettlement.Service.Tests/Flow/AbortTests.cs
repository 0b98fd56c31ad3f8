using OrleansSettlement.Contracts;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// Checkouts that end aborted, over HTTP: a payer that never answers (the checkout expires before S7), and a bank that
/// finds at S8 what the store could not see at S3 (a note spent elsewhere in between), so every bank aborts and releases
/// its holds. Nothing moves; every invariant holds afterwards.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class AbortTests(FlowFixture fixture) : IAsyncLifetime
{
    private readonly FlowParties _parties = new(fixture);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        fixture.Faults.Clear();
        _parties.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    [Fact]
    public async Task APayerNeverAnswers_TheCheckoutExpiresAndAbortsWithCheckoutExpired_NothingMoved()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var before = await FlowSnapshot.TakeAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor, expiresIn: TimeSpan.FromSeconds(6));
        Assert.Equal(CheckoutStages.Challenging, (await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares)).Stage);

        // Alice and Carol answer; Bob keeps his challenge and never answers in time.
        var bobsChallenge = await checkout.ChallengeAsync(world.Bob);
        var bobsLateAnswer = await checkout.ResponseAsync(world.Bob, bobsChallenge);
        Assert.Equal(CheckoutStages.Challenging, (await checkout.AnswerAllAsync(world.Bob)).Stage);

        var aborted = FlowAssert.Aborted(await checkout.WaitForOutcomeAsync(TimeSpan.FromSeconds(20)), "checkout_expired");
        Assert.Contains(aborted.Steps, s => s.Step == "S6" && s.Detail.Contains("expired", StringComparison.Ordinal));
        Assert.DoesNotContain(aborted.Steps, s => s.Step == "S7");

        // Too late: the checkout says it expired; nothing was ever held or moved.
        await FlowAssert.RefusedAsync(() => world.Bob.Wallet.SubmitResponseAsync(bobsChallenge.Store, bobsChallenge.CheckoutId, bobsLateAnswer), 422, "checkout_expired");
        await before.AssertUnchangedAsync(world);
        Assert.Null(await fixture.Grains.GetGrain<ISettlementGrain>(checkout.AgreementId).Get());
    }

    [Fact]
    public async Task ANoteSpentElsewhereBetweenS2AndS8_ItsBankVotesInvalid_EveryBankAbortsAndReleasesItsHolds()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);

        // The checkout passes S3 with Alice's note outstanding...
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor, orderRef: "order-1");
        await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares);

        // ...then Alice spends the same note in another checkout, which settles.
        var elsewhere = await _parties.OpenCheckoutAsync(world.Store, 8_000, orderRef: "order-2");
        var carolsNotes = await FlowParties.WithdrawAsync(world.Carol, 4_000);
        FlowAssert.Settled(await elsewhere.RunAsync(FlowStep.Outcome, world.Alice, shares[0] with { ShareMinor = 4_000 }, new FlowShare(world.Carol, 4_000, carolsNotes)));
        await FlowAssert.NotesInStateAsync(world.Alice, shares[0].Notes, "spent");
        var before = await FlowSnapshot.TakeAsync(world);

        // Bank A is slow to verify, so bank B and the payee bank C vote VALID first and bank B holds Bob's notes.
        fixture.Faults.Block(world.BankA.Name, nameof(IBankAgreementGrain.Verify));
        Assert.Equal(CheckoutStages.Settling, (await checkout.AnswerAllAsync()).Stage);
        await FlowAssert.NotesInStateAsync(world.Bob, shares[1].Notes, "held");
        await FlowAssert.Eventually(() => BankStages(world, checkout), s => s[world.BankC.Name] == BankPartStage.VotedValid);
        fixture.Faults.Unblock(world.BankA.Name, nameof(IBankAgreementGrain.Verify));

        // Bank A finds Alice's note spent: it votes INVALID, and every bank aborts.
        var aborted = FlowAssert.Aborted(await checkout.WaitForOutcomeAsync(), "note_already_spent");
        Assert.Contains(world.BankA.Name, aborted.AbortReason!.Detail, StringComparison.Ordinal);
        var stages = await FlowAssert.Eventually(() => BankStages(world, checkout), s => s.Values.All(v => v == BankPartStage.Released));
        Assert.All(stages, s => Assert.True(s.Value == BankPartStage.Released, $"{s.Key}'s part is {s.Value}, not released."));

        // Bob's and Carol's holds are released: their notes are outstanding again, and no balance moved.
        await FlowAssert.NotesInStateAsync(world.Bob, shares[1].Notes, "outstanding");
        await FlowAssert.NotesInStateAsync(world.Carol, shares[2].Notes, "outstanding");
        await before.AssertUnchangedAsync(world);
        Assert.Equal(8_000, (await world.Store.Bank.Operator.GetAccountAsync(world.Store.Account)).BalanceMinor);
    }

    [Fact]
    public async Task ABankUnreachablePastTheVoteDeadline_TheSettlementAbortsWithCheckoutExpired_HoldsReleased()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares);
        var before = await FlowSnapshot.TakeAsync(world);

        // Bank B never gets the package; bank A holds Alice's and Carol's notes and votes VALID, and waits.
        fixture.Faults.Block(world.BankB.Name, nameof(IBankAgreementGrain.Verify));
        Assert.Equal(CheckoutStages.Settling, (await checkout.AnswerAllAsync()).Stage);
        await FlowAssert.NotesInStateAsync(world.Alice, shares[0].Notes, "held");

        // No decision by the vote deadline: the settlement grain aborts (a timeout abort is possible only before COMMIT).
        var aborted = FlowAssert.Aborted(await checkout.WaitForOutcomeAsync(FlowFixture.VoteTimeout + TimeSpan.FromSeconds(15)), "checkout_expired");
        Assert.Contains("in time", aborted.AbortReason!.Detail, StringComparison.Ordinal);
        await FlowAssert.NotesInStateAsync(world.Alice, shares[0].Notes, "outstanding");
        await FlowAssert.NotesInStateAsync(world.Carol, shares[2].Notes, "outstanding");
        await before.AssertUnchangedAsync(world);

        // Bank B is back: the abort reaches it too, and a late package is ignored; nothing moves.
        fixture.Faults.Unblock(world.BankB.Name, nameof(IBankAgreementGrain.Verify));
        var stages = await FlowAssert.Eventually(() => BankStages(world, checkout), s => s.Values.All(v => v == BankPartStage.Released));
        Assert.All(stages, s => Assert.True(s.Value == BankPartStage.Released, $"{s.Key}'s part is {s.Value}, not released."));
        await before.AssertUnchangedAsync(world);
    }

    [Fact]
    public async Task ANoteHeldForAnotherAgreement_OfferedAtS2_Refused409NoteHeldElsewhere_ThenTheHolderSettles()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);

        // The first checkout reaches S8: bank A holds Alice's note and voted VALID; the payee bank has not voted yet.
        var holding = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor, orderRef: "order-1");
        await holding.RunAsync(FlowStep.Bundled, world.Alice, shares);
        fixture.Faults.Block(world.BankC.Name, nameof(IBankAgreementGrain.Verify));
        await holding.AnswerAllAsync();
        await FlowAssert.NotesInStateAsync(world.Alice, shares[0].Notes, "held");

        // The same note in a second checkout: the store sees it held at S3 and refuses.
        var second = await _parties.OpenCheckoutAsync(world.Store, 8_000, orderRef: "order-2");
        await second.RunAsync(FlowStep.Contributed, world.Alice, shares[0] with { ShareMinor = 4_000 }, new FlowShare(world.Carol, 4_000, await FlowParties.WithdrawAsync(world.Carol, 4_000)));
        var bundle = await second.LeaderBundleAsync();
        var before = await FlowSnapshot.TakeAsync(world);

        await FlowAssert.RefusedAsync(() => second.SubmitBundleAsync(bundle), 409, "note_held_elsewhere");

        await before.AssertUnchangedAsync(world);
        Assert.Equal(CheckoutStages.AgreementProposed, (await second.GetAsync()).Stage);
        fixture.Faults.Unblock(world.BankC.Name, nameof(IBankAgreementGrain.Verify));
        FlowAssert.Settled(await holding.WaitForOutcomeAsync());
    }

    /// <summary>Each bank's part in the checkout's agreement, read behind the API (the apps cannot see bank parts).</summary>
    private async Task<Dictionary<string, BankPartStage>> BankStages(FlowWorld world, FlowCheckout checkout)
    {
        var stages = new Dictionary<string, BankPartStage>(StringComparer.Ordinal);
        foreach (var bank in world.Banks)
        {
            var part = await fixture.Grains.GetGrain<IBankAgreementGrain>(GrainKeys.BankAgreement(bank.Name, checkout.AgreementId)).Get();
            stages[bank.Name] = part.Stage;
        }

        return stages;
    }
}
