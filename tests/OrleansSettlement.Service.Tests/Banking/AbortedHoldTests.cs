using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>
/// A note must never stay held by an agreement that aborted (settle chaos: "note … is still held by agreement …, which is
/// decided (Abort)", seed 20261126 scenario 185, two checkouts racing for one payer's notes). Two ways led there, both
/// closed by the release an abort sends to each note of its package: it marks the note released for the agreement
/// whatever holds the note then, so a later hold of that agreement is refused, and it always writes, so a stale
/// activation of the note cannot answer it from memory.
/// </summary>
[Collection(BankingCollection.Name)]
public sealed class AbortedHoldTests(BankingFixture fixture)
{
    private readonly BankingKit _kit = new(fixture.Client);

    [Fact]
    public async Task RaceLoser_AbortsWhileTheWinnerHoldsTheNote_ALateCopyOfItsHoldCannotTakeTheNoteWhenTheWinnerLetsItGo()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var winner = BankingKit.NewTokenHash();
        var contested = _kit.Note(payment.BankA, BankingKit.ParseNote(payment.Carol.Notes[1]).Serial);
        Assert.True((await contested.Hold(winner)).IsOk);

        // The loser: its hold of the contested note is refused, it votes INVALID, and the abort reaches it as the answer to
        // its vote does, without the package.
        var view = await payment.VerifyAsync(payment.BankA, await payment.RequestAsync());
        Assert.Equal(BankPartStage.VotedInvalid, view.Stage);
        await payment.Part(payment.BankA).Decide(new SettlementDecision(payment.AgreementId, DecisionKind.Abort, [view.ResultJson!], "note_held_elsewhere", DateTimeOffset.UtcNow));
        await BankingKit.EventuallyAsync(async () => (await payment.Part(payment.BankA).Get()).Stage == BankPartStage.Released, "the release");
        Assert.Equal(winner, (await contested.Get())!.AgreementId);

        // The winner aborts too and lets the note go; then a copy of the loser's refused hold arrives (a duplicated or
        // late call). Nothing would ever release the note for the loser again: its settlement is complete.
        Assert.Equal(NoteState.Outstanding, (await contested.Release(winner)).Value!.State);
        Assert.Equal("checkout_closed", (await contested.Hold(payment.AgreementId)).Refusal?.Code);
        Assert.Equal(NoteState.Outstanding, (await contested.Get())!.State);
        Assert.True((await contested.Hold(BankingKit.NewTokenHash())).IsOk);
    }

    [Fact]
    public async Task Release_OnAStaleActivationThatThinksAnotherAgreementHoldsTheNote_ReleasesTheStoredHold()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var first = BankingKit.NewTokenHash();
        var aborted = BankingKit.NewTokenHash();
        var note = _kit.Note(payment.BankA, BankingKit.ParseNote(payment.Alice.Notes[0]).Serial);
        Assert.True((await note.Hold(first)).IsOk);

        // Another activation of the note (a silo died and the directory lost this one) released it for the first agreement
        // and held it for another, which then aborted; this activation still remembers the first hold.
        var row = await fixture.ReadRowAsync<NoteGrainState>("note", note);
        Assert.NotNull(row.State);
        row.State.Released[first] = DateTimeOffset.UtcNow;
        row.State.AgreementId = aborted;
        await fixture.WriteRowAsync("note", note, row);

        // The abort's release reaches the stale activation. It may fail once (its write finds the row moved on and reads it
        // back); the bank part retries it until it answers.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Assert.True((await note.Release(aborted)).IsOk);
                break;
            }
            catch (Exception exception) when (attempt < 3 && exception is not Xunit.Sdk.XunitException)
            {
                // The bank part's abort fails and the settlement grain sends it again.
            }
        }

        var stored = (await fixture.ReadRowAsync<NoteGrainState>("note", note)).State;
        Assert.NotNull(stored);
        Assert.Equal((NoteState.Outstanding, (string?)null), (stored.State, stored.AgreementId));
        Assert.Contains(aborted, stored.Released.Keys);
    }
}
