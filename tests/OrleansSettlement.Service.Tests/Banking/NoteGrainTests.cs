using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Service.Tests.Banking;

[Collection(BankingCollection.Name)]
public sealed class NoteGrainTests(BankingFixture fixture)
{
    private readonly BankingKit _kit = new(fixture.Client);

    [Fact]
    public async Task Hold_Release_Spend_FollowTheRules()
    {
        var (grain, _) = await IssueAsync();
        var first = BankingKit.NewTokenHash();
        var second = BankingKit.NewTokenHash();

        Assert.Equal("unknown_agreement", (await grain.Spend(first)).Refusal?.Code);
        Assert.Equal(NoteState.Held, (await grain.Hold(first)).Value!.State);
        Assert.True((await grain.Hold(first)).IsOk);
        Assert.Equal("note_held_elsewhere", (await grain.Hold(second)).Refusal?.Code);
        Assert.Equal("note_held_elsewhere", (await grain.Spend(second)).Refusal?.Code);
        Assert.Equal(NoteState.Held, (await grain.Release(second)).Value!.State);

        // No decision of the holding agreement exists: the note is held, not spent (ADR 0019), and Spend says so.
        Assert.Equal("unknown_agreement", (await grain.Spend(first)).Refusal?.Code);
        Assert.Equal(NoteState.Held, (await grain.Get())!.State);

        Assert.Equal(NoteState.Outstanding, (await grain.Release(first)).Value!.State);
        Assert.Null((await grain.Get())!.AgreementId);

        // The second agreement released the note (an abort) while the first held it: it may not hold it afterwards.
        Assert.Equal("checkout_closed", (await grain.Hold(second)).Refusal?.Code);
        var third = BankingKit.NewTokenHash();
        Assert.True((await grain.Hold(third)).IsOk);
        Assert.Equal(third, (await grain.Get())!.AgreementId);
    }

    [Fact]
    public async Task Hold_LateCopyAfterItsAgreementReleasedTheNote_IsRefusedAndTheNoteStaysOutstanding()
    {
        var (grain, _) = await IssueAsync();
        var aborted = BankingKit.NewTokenHash();
        Assert.True((await grain.Hold(aborted)).IsOk);
        Assert.Equal(NoteState.Outstanding, (await grain.Release(aborted)).Value!.State);

        // A copy of the hold that arrives after the release (a retry overtaken by the abort: settle chaos found notes held
        // for good by an aborted agreement this way) must not hold the note again; another agreement still may.
        Assert.Equal("checkout_closed", (await grain.Hold(aborted)).Refusal?.Code);
        Assert.Equal(NoteState.Outstanding, (await grain.Get())!.State);
        Assert.True((await grain.Hold(BankingKit.NewTokenHash())).IsOk);
    }

    [Fact]
    public async Task Hold_NeverIssued_IsUnknownNote()
    {
        var grain = _kit.Note(BankingKit.NewName("bank"), BinaryIds.NewRandom());

        Assert.Equal("unknown_note", (await grain.Hold(BankingKit.NewTokenHash())).Refusal?.Code);
        Assert.Equal("unknown_note", (await grain.Release(BankingKit.NewTokenHash())).Refusal?.Code);
        Assert.Null(await grain.Get());
    }

    [Fact]
    public async Task Issue_Again_SameContentKeepsTheFirstTextOtherContentIsAlreadyExists()
    {
        using var key = LocalSigner.Generate();
        var (grain, note) = await IssueAsync(key);
        var first = (await grain.Get())!.NoteJson;

        var resigned = await BankingKit.SignAsync(note.ToContent(), Purposes.Note, key);
        var other = await BankingKit.SignAsync((note with { Amount = Money.Create("EUR", 2).Value }).ToContent(), Purposes.Note, key);

        Assert.NotEqual(first, resigned);
        Assert.Equal(first, (await grain.Issue(resigned)).Value!.NoteJson);
        Assert.Equal("already_exists", (await grain.Issue(other)).Refusal?.Code);
        Assert.Equal("invalid_field", (await _kit.Note(note.Issuer, BinaryIds.NewRandom()).Issue(first)).Refusal?.Code);
    }

    [Fact]
    public async Task Hold_TwoAgreementsAtOnce_ExactlyOneWins()
    {
        for (var round = 0; round < 20; round++)
        {
            var (grain, _) = await IssueAsync();
            var agreements = new[] { BankingKit.NewTokenHash(), BankingKit.NewTokenHash() };
            using var barrier = new Barrier(2);
            var holds = agreements.Select(agreement => Task.Run(async () =>
            {
                barrier.SignalAndWait();
                return await grain.Hold(agreement);
            })).ToArray();

            var replies = await Task.WhenAll(holds);

            var winner = Assert.Single(replies, r => r.IsOk);
            var loser = Assert.Single(replies, r => !r.IsOk);
            Assert.Equal("note_held_elsewhere", loser.Refusal!.Code);
            Assert.Equal(winner.Value!.AgreementId, (await grain.Get())!.AgreementId);
        }
    }

    /// <summary>A note recorded at its note grain (Issue does not check signatures: only the bank's own grains call it).</summary>
    private async Task<(INoteGrain Grain, Note Note)> IssueAsync(LocalSigner? key = null)
    {
        using var throwaway = LocalSigner.Generate();
        var signer = key ?? throwaway;
        var now = BankingKit.Now();
        var note = new Note(BinaryIds.NewRandom(), BankingKit.NewName("bank"), signer.PublicKey.Thumbprint, Money.Create("EUR", 1).Value, signer.PublicKey.Thumbprint, now, now.AddDays(1));
        var grain = _kit.Note(note.Issuer, note.Serial);
        var issued = await grain.Issue(await BankingKit.SignAsync(note.ToContent(), Purposes.Note, signer));
        Assert.True(issued.IsOk, issued.Refusal?.ToString());
        Assert.Equal(NoteState.Outstanding, issued.Value!.State);
        return (grain, note);
    }
}
