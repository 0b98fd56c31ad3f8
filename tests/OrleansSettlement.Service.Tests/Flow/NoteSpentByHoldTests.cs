using Orleans.Core.Internal;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Banking;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// A note is spent by its hold (ADR 0019), over HTTP on the real service: after a committed checkout the spent notes'
/// rows still say held by the agreement (S10 wrote nothing at them), yet every note answers spent, a reactivated note
/// still does, and a second use of it is refused; while the agreement is undecided the note answers held. The invariant
/// check, which counts a note held by a committed agreement as spent, holds after each test.
/// </summary>
[Collection(FlowCollection.Name)]
public sealed class NoteSpentByHoldTests(FlowFixture fixture) : IAsyncLifetime
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
    public async Task AfterACommit_TheRowsSayHeldByTheAgreement_TheNotesAnswerSpent_AndASecondUseIsRefused()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        FlowAssert.Settled(await checkout.RunAsync(FlowStep.Outcome, world.Alice, shares));

        // The rows: every spent note is held by the agreement, which committed; nothing wrote "spent" at S10.
        var notes = shares.SelectMany(s => s.Notes.Select(n => (Bank: s.Payer.Institution, Serial: FlowParties.Serial(n)))).ToList();
        var rows = await StoredRows.ReadAsync(fixture.StorageConnectionString);
        foreach (var (bank, serial) in notes)
        {
            var row = StoredRows.Single<NoteGrainState>(fixture.StorageSerializer, rows, GrainKeys.Note(bank, serial));
            Assert.Equal(NoteState.Held, row.State);
            Assert.Equal(checkout.AgreementId, row.AgreementId);
        }

        // A note activated afresh (its first activation dropped) reads the decision and answers spent, without a write.
        var (firstBank, firstSerial) = notes[0];
        var first = Note(firstBank, firstSerial);
        await first.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var view = await first.Get();
        Assert.Equal(NoteState.Spent, view!.State);
        Assert.Equal(checkout.AgreementId, view.AgreementId);
        Assert.Equal(NoteState.Held, await RowStateAsync(firstBank, firstSerial));

        // Over HTTP every payer's wallet lists its spent notes as spent, or no longer lists them.
        foreach (var share in shares)
        {
            var listed = await FlowAssert.NotesAsync(share.Payer);
            Assert.All(share.Notes, n => Assert.False(listed.TryGetValue(FlowParties.Serial(n), out var x) && x.State != "spent", $"note {FlowParties.Serial(n)} is {x?.State}."));
        }

        // A second hold, spend or release of a spent note is refused or changes nothing; the refused request records the
        // spend in the row (off the checkout's path), and the release never makes it outstanding again.
        var other = SettlementIds.ItemsHash("another agreement");
        Assert.Equal("note_already_spent", (await first.Hold(other)).Refusal?.Code);
        Assert.Equal(NoteState.Spent, await RowStateAsync(firstBank, firstSerial));
        var (secondBank, secondSerial) = notes[1];
        var second = Note(secondBank, secondSerial);
        Assert.Equal("note_already_spent", (await second.Spend(other)).Refusal?.Code);
        Assert.Equal(NoteState.Spent, (await second.Release(checkout.AgreementId)).Value!.State);
        Assert.True((await second.Spend(checkout.AgreementId)).IsOk);
        await first.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(NoteState.Spent, (await first.Get())!.State);

        // And over HTTP: a new checkout with one of these notes is refused as spent.
        var again = await FlowParties.StandardSharesAsync(world);
        again[0] = again[0] with { Notes = shares[0].Notes };
        var next = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor, orderRef: "order-2");
        await next.RunAsync(FlowStep.Contributed, world.Alice, again);
        await FlowAssert.RefusedAsync(async () => await next.SubmitBundleAsync(await next.LeaderBundleAsync()), 409, "note_already_spent");
    }

    [Fact]
    public async Task WhileTheAgreementIsUndecided_AHeldNoteAnswersHeld_ThenSpentOnceItCommits()
    {
        var world = await _parties.CreateWorldAsync();
        var shares = await FlowParties.StandardSharesAsync(world);
        var checkout = await _parties.OpenCheckoutAsync(world.Store, FlowWorld.TotalMinor);
        await checkout.RunAsync(FlowStep.Bundled, world.Alice, shares);

        // The payee bank is slow to vote: the payer banks hold their notes, and no decision exists yet.
        fixture.Faults.Block(world.BankC.Name, nameof(IBankAgreementGrain.Verify));
        Assert.Equal(CheckoutStages.Settling, (await checkout.AnswerAllAsync()).Stage);
        await FlowAssert.NotesInStateAsync(world.Bob, shares[1].Notes, "held");
        var bobs = Note(world.BankB.Name, FlowParties.Serial(shares[1].Notes[0]));
        Assert.Null(await fixture.Grains.GetGrain<ISettlementGrain>(checkout.AgreementId).ReadDecision());
        var held = await bobs.Get();
        Assert.Equal(NoteState.Held, held!.State);
        Assert.Equal(checkout.AgreementId, held.AgreementId);
        Assert.Equal("note_held_elsewhere", (await bobs.Hold(SettlementIds.ItemsHash("another agreement"))).Refusal?.Code);
        Assert.Equal("unknown_agreement", (await bobs.Spend(checkout.AgreementId)).Refusal?.Code);
        Assert.Equal(NoteState.Held, await RowStateAsync(world.BankB.Name, FlowParties.Serial(shares[1].Notes[0])));

        fixture.Faults.Unblock(world.BankC.Name, nameof(IBankAgreementGrain.Verify));
        FlowAssert.Settled(await checkout.WaitForOutcomeAsync());
        Assert.Equal(NoteState.Spent, (await bobs.Get())!.State);
        var listed = await FlowAssert.NotesAsync(world.Bob);
        Assert.All(shares[1].Notes, n => Assert.False(listed.TryGetValue(FlowParties.Serial(n), out var x) && x.State != "spent", $"note {FlowParties.Serial(n)} is {x?.State}."));
    }

    private INoteGrain Note(string bank, string serial) => fixture.Grains.GetGrain<INoteGrain>(GrainKeys.Note(bank, serial));

    private async Task<NoteState> RowStateAsync(string bank, string serial)
    {
        var rows = await StoredRows.ReadAsync(fixture.StorageConnectionString);
        return StoredRows.Single<NoteGrainState>(fixture.StorageSerializer, rows, GrainKeys.Note(bank, serial)).State;
    }
}
