using System.Diagnostics;
using OrleansSettlement.Contracts;
using OrleansSettlement.Sdk;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// The same note in two checkouts at once, over HTTP: both bundles are submitted together behind a barrier, then both
/// sets of answers, so the two agreements race for the note at S8. Exactly one checkout settles each time; the other is
/// refused or aborts with <c>note_held_elsewhere</c> or <c>note_already_spent</c>; the note is spent exactly once and
/// the loser's other notes come back. Repeated <see cref="Rounds"/> times with the same parties and one fresh note each.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class DoubleSpendRaceTests(FlowFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    public const int Rounds = 50;

    /// <summary>Rounds run this many at a time (each on its own note), to keep the test fast on two cores.</summary>
    public const int Lanes = 5;

    private const long AliceShareMinor = 1_000;
    private const long OtherShareMinor = 500;
    private const long TotalMinor = AliceShareMinor + OtherShareMinor;

    private static readonly string[] LoserCodes = ["note_held_elsewhere", "note_already_spent"];

    private readonly FlowParties _parties = new(fixture);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _parties.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    [Fact]
    public async Task SameNoteInTwoCheckoutsAtOnce_ExactlyOneSettles_AndTheNoteIsSpentOnce()
    {
        var bankA = await _parties.CreateBankAsync("bank-a");
        var bankB = await _parties.CreateBankAsync("bank-b");
        var store = await _parties.CreateStoreAsync(bankB, "kiosk");
        var alice = await _parties.CreatePayerAsync(bankA, Rounds * AliceShareMinor, "alice");
        var bob = await _parties.CreatePayerAsync(bankB, Rounds * OtherShareMinor, "bob");
        var carol = await _parties.CreatePayerAsync(bankB, Rounds * OtherShareMinor, "carol");
        var aliceNotes = await FlowParties.WithdrawAsync(alice, [.. Enumerable.Repeat(AliceShareMinor, Rounds)]);
        var bobNotes = await FlowParties.WithdrawAsync(bob, [.. Enumerable.Repeat(OtherShareMinor, Rounds)]);
        var carolNotes = await FlowParties.WithdrawAsync(carol, [.. Enumerable.Repeat(OtherShareMinor, Rounds)]);

        var clock = Stopwatch.StartNew();
        var results = new RoundResult[Rounds];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, Rounds),
            new ParallelOptions { MaxDegreeOfParallelism = Lanes },
            async (round, _) =>
            {
                var contested = new FlowShare(alice, AliceShareMinor, [aliceNotes[round]]);
                results[round] = await RaceAsync(
                    round,
                    store,
                    (contested, new FlowShare(bob, OtherShareMinor, [bobNotes[round]])),
                    (contested, new FlowShare(carol, OtherShareMinor, [carolNotes[round]])));
            });
        output.WriteLine($"{Rounds} rounds in {clock.Elapsed.TotalSeconds:0.0} s");

        // Over HTTP, as the parties see it: the store was paid once per round; each contested note and each winner's
        // other note is spent; each loser's other note is outstanding again (its hold released).
        Assert.Equal(Rounds * TotalMinor, (await bankB.Operator.GetAccountAsync(store.Account)).BalanceMinor);
        var alicesNotes = await FlowAssert.NotesAsync(alice);
        Assert.All(aliceNotes, n => Assert.False(alicesNotes.TryGetValue(FlowParties.Serial(n), out var x) && x.State != "spent", $"contested note {FlowParties.Serial(n)} is {x?.State}."));
        var winnersOther = results.Select((r, i) => r.BobWon ? bobNotes[i] : carolNotes[i]).ToList();
        var losersOther = results.Select((r, i) => r.BobWon ? carolNotes[i] : bobNotes[i]).ToList();
        await FlowAssert.NotesInStateAsync(bob, [.. losersOther.Where(bobNotes.Contains)], "outstanding");
        await FlowAssert.NotesInStateAsync(carol, [.. losersOther.Where(carolNotes.Contains)], "outstanding");
        var bobs = await FlowAssert.NotesAsync(bob);
        var carols = await FlowAssert.NotesAsync(carol);
        Assert.All(winnersOther, n =>
        {
            var serial = FlowParties.Serial(n);
            var listed = bobs.TryGetValue(serial, out var b) ? b : carols.GetValueOrDefault(serial);
            Assert.True(listed is null || listed.State == "spent", $"the winner's note {serial} is {listed?.State}.");
        });
        output.WriteLine($"losers refused at S2: {results.Count(r => r.LoserRefusedAtBundle)}, aborted at S8: {results.Count(r => !r.LoserRefusedAtBundle)}; codes: {string.Join(", ", results.GroupBy(r => r.LoserCode).Select(g => $"{g.Key} x{g.Count()}"))}");
    }

    /// <summary>One round: two checkouts spending the same note, bundles at once, answers at once, both outcomes.</summary>
    private async Task<RoundResult> RaceAsync(int round, FlowStore store, (FlowShare Leader, FlowShare Other) first, (FlowShare Leader, FlowShare Other) second)
    {
        var checkouts = await Task.WhenAll(
            _parties.OpenCheckoutAsync(store, TotalMinor, orderRef: $"race-{round}-1"),
            _parties.OpenCheckoutAsync(store, TotalMinor, orderRef: $"race-{round}-2"));
        await Task.WhenAll(
            checkouts[0].ProposeAsync(first.Leader.Payer, first.Leader, first.Other),
            checkouts[1].ProposeAsync(second.Leader.Payer, second.Leader, second.Other));
        var bundles = await Task.WhenAll(checkouts.Select(c => c.AllContributionsAsync()));

        // S2 for both at once, behind a barrier.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var submitted = checkouts.Select((c, i) => SubmitBehind(gate.Task, c, bundles[i])).ToList();
        gate.SetResult();
        var refusals = await Task.WhenAll(submitted);
        Assert.True(refusals.Count(r => r is null) >= 1, $"round {round}: both bundles were refused: {string.Join("; ", refusals.Select(r => r?.Message))}");
        foreach (var refusal in refusals.Where(r => r is not null))
        {
            Assert.True(refusal!.Status == 409 && LoserCodes.Contains(refusal.Code), $"round {round}: bundle refused with {refusal.Status} {refusal.Code}: {refusal.Detail}");
        }

        // S5 for every accepted checkout at once; the last answers start both settlements together.
        var accepted = checkouts.Where((_, i) => refusals[i] is null).ToList();
        await Task.WhenAll(accepted.Select(c => c.AnswerAllAsync()));
        var outcomes = await Task.WhenAll(accepted.Select(c => FlowAssert.Eventually(c.GetAsync, o => CheckoutStages.IsFinal(o.Stage), FlowCheckout.OutcomeTimeout, 50)));

        var settled = Assert.Single(outcomes, o => o.Stage == CheckoutStages.Settled);
        var winner = checkouts.Single(c => c.CheckoutId == settled.CheckoutId);
        string loserCode;
        if (refusals.Any(r => r is not null))
        {
            loserCode = refusals.Single(r => r is not null)!.Code!;
        }
        else
        {
            var lost = FlowAssert.Aborted(Assert.Single(outcomes, o => o.Stage != CheckoutStages.Settled), LoserCodes);
            loserCode = lost.AbortReason!.Code;
        }

        // The contested note is spent, by the winner's agreement (read behind the API; the wallet shows it at the end).
        var note = await fixture.Grains.GetGrain<INoteGrain>(GrainKeys.Note(first.Leader.Payer.Institution, FlowParties.Serial(first.Leader.Notes[0]))).Get();
        Assert.Equal(NoteState.Spent, note?.State);
        Assert.Equal(winner.AgreementId, note?.AgreementId);
        return new RoundResult(winner == checkouts[0], refusals.Any(r => r is not null), loserCode);
    }

    private static async Task<SettlementApiException?> SubmitBehind(Task gate, FlowCheckout checkout, IReadOnlyList<ContributionInfo> bundle)
    {
        await gate;
        try
        {
            await checkout.SubmitBundleAsync(bundle);
            return null;
        }
        catch (SettlementApiException refusal) when (refusal.Status is >= 400 and < 500)
        {
            return refusal;
        }
    }

    private sealed record RoundResult(bool BobWon, bool LoserRefusedAtBundle, string LoserCode);
}
