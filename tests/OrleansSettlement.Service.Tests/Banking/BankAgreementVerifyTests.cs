using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>S8 and S9 at each bank: the second validity verification, the holds and the signed vote.</summary>
[Collection(BankingCollection.Name)]
public sealed class BankAgreementVerifyTests(BankingFixture fixture)
{
    private readonly BankingKit _kit = new(fixture.Client);

    [Fact]
    public async Task Verify_ValidPackage_HoldsTheNotesAndVotesValidSigned()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var request = await payment.RequestAsync();

        var view = await payment.VerifyAsync(payment.BankA, request);

        Assert.Equal(BankPartStage.VotedValid, view.Stage);
        foreach (var note in payment.Alice.Notes.Concat(payment.Carol.Notes))
        {
            var held = await _kit.Note(payment.BankA, BankingKit.ParseNote(note).Serial).Get();
            Assert.Equal(NoteState.Held, held!.State);
            Assert.Equal(payment.AgreementId, held.AgreementId);
        }

        Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankB, payment.Bob.Notes[0]));
        var result = await AssertVoteAsync(payment, payment.BankA, Verdict.Valid);
        Assert.Null(result.Reason);
        Assert.Equal(view.ResultJson, Assert.Single(await payment.Settlement.GetVotes()));
    }

    [Fact]
    public async Task Verify_Again_ResendsTheStoredResultWithoutCheckingAgain()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var request = await payment.RequestAsync();
        var first = await payment.VerifyAsync(payment.BankB, request);

        await payment.Part(payment.BankB).Verify(request);
        await BankingKit.EventuallyAsync(async () => (await payment.Settlement.GetVotes()).Count == 2, "the second vote");

        var votes = await payment.Settlement.GetVotes();
        Assert.All(votes, vote => Assert.Equal(first.ResultJson, vote));
        Assert.Equal(BankPartStage.VotedValid, (await payment.Part(payment.BankB).Get()).Stage);
    }

    [Fact]
    public async Task Verify_PayeeBank_ChecksTheStoreAccountAndHoldsNothing()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);

        var view = await payment.VerifyAsync(payment.BankC, await payment.RequestAsync());

        Assert.Equal(BankPartStage.VotedValid, view.Stage);
        await AssertVoteAsync(payment, payment.BankC, Verdict.Valid);
    }

    [Fact]
    public async Task Verify_PayeeAccountOfAnotherOwner_VotesPayeeMismatch()
    {
        using var payment = await GroupPayment.CreateAsync(_kit, storeOwnsPayeeAccount: false);

        var view = await payment.VerifyAsync(payment.BankC, await payment.RequestAsync());

        Assert.Equal(BankPartStage.VotedInvalid, view.Stage);
        Assert.Equal("payee_mismatch", (await AssertVoteAsync(payment, payment.BankC, Verdict.Invalid)).Reason);
    }

    [Fact]
    public async Task Verify_NoteOfAnotherHolder_VotesNoteWrongHolderAndHoldsNothing()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var request = await payment.RequestAsync(payer => payer == payment.Alice
            ? payment.PackageAsync(payer, [.. payment.Alice.Notes, payment.Carol.Notes[0]])
            : payment.PackageAsync(payer));

        await AssertInvalidAndNothingHeldAsync(payment, request, "note_wrong_holder");
    }

    [Fact]
    public async Task Verify_ExpiredNote_VotesNoteExpiredAndHoldsNothing()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var now = BankingKit.Now();
        var expired = await _kit.IssueOddNoteAsync(payment.BankA, payment.Alice.Wallet, 1000, now.AddDays(-10), now.AddDays(-1));
        var request = await payment.RequestAsync(payer => payer == payment.Alice
            ? payment.PackageAsync(payer, [expired])
            : payment.PackageAsync(payer));

        await AssertInvalidAndNothingHeldAsync(payment, request, "note_expired");
        Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankA, expired));
    }

    [Fact]
    public async Task Verify_ForgedNote_VotesBadSignatureAndHoldsNothing()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        using var forger = LocalSigner.Generate();
        var genuine = BankingKit.ParseNote(payment.Alice.Notes[0]);
        var forged = await BankingKit.SignAsync((genuine with { Amount = Money.Create("EUR", 100000).Value }).ToContent(), Purposes.Note, forger);
        var request = await payment.RequestAsync(payer => payer == payment.Alice
            ? payment.PackageAsync(payer, [forged])
            : payment.PackageAsync(payer));

        await AssertInvalidAndNothingHeldAsync(payment, request, "bad_signature");
    }

    [Fact]
    public async Task Verify_NoteHeldByAnotherAgreement_VotesNoteHeldElsewhereAndReleasesTheOthers()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var other = BankingKit.NewTokenHash();
        var carolsSecond = _kit.Note(payment.BankA, BankingKit.ParseNote(payment.Carol.Notes[1]).Serial);
        Assert.True((await carolsSecond.Hold(other)).IsOk);

        var view = await payment.VerifyAsync(payment.BankA, await payment.RequestAsync());

        Assert.Equal(BankPartStage.VotedInvalid, view.Stage);
        Assert.Equal("note_held_elsewhere", (await AssertVoteAsync(payment, payment.BankA, Verdict.Invalid)).Reason);
        Assert.Equal(other, (await carolsSecond.Get())!.AgreementId);
        foreach (var note in payment.Alice.Notes.Append(payment.Carol.Notes[0]))
        {
            Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankA, note));
        }

        // The abort that follows releases nothing of the other agreement's.
        await payment.Part(payment.BankA).Decide(new SettlementDecision(payment.AgreementId, DecisionKind.Abort, [view.ResultJson!], "note_held_elsewhere", DateTimeOffset.UtcNow));
        await BankingKit.EventuallyAsync(async () => (await payment.Part(payment.BankA).Get()).Stage == BankPartStage.Released, "the release");
        Assert.Equal(other, (await carolsSecond.Get())!.AgreementId);
    }

    [Fact]
    public async Task Verify_ChallengeNotSignedByTheStore_VotesUnknownKey()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        using var impostor = LocalSigner.Generate();
        var request = await payment.RequestAsync(payer => payer == payment.Bob
            ? payment.PackageAsync(payer, challengeSigner: impostor)
            : payment.PackageAsync(payer));

        var view = await payment.VerifyAsync(payment.BankB, request);

        Assert.Equal(BankPartStage.VotedInvalid, view.Stage);
        Assert.Equal("unknown_key", (await AssertVoteAsync(payment, payment.BankB, Verdict.Invalid)).Reason);
        Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankB, payment.Bob.Notes[0]));
    }

    [Fact]
    public async Task Verify_InstitutionsNotThoseOfTheAgreement_VotesInstitutionMismatch()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var request = await payment.RequestAsync();
        request = request with { Institutions = [payment.BankA, payment.BankB] };

        var view = await payment.VerifyAsync(payment.BankB, request);

        Assert.Equal("institution_mismatch", (await AssertVoteAsync(payment, payment.BankB, Verdict.Invalid)).Reason);
        Assert.Equal(BankPartStage.VotedInvalid, view.Stage);
    }

    [Fact]
    public async Task Verify_VoteAnsweredWithAnAbort_ReleasesAtOnce()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        await payment.Settlement.SetDecision(new SettlementDecision(payment.AgreementId, DecisionKind.Abort, [], "vote_timeout", DateTimeOffset.UtcNow));

        await payment.Part(payment.BankB).Verify(await payment.RequestAsync());

        await BankingKit.EventuallyAsync(async () => (await payment.Part(payment.BankB).Get()).Stage == BankPartStage.Released, "the release");
        Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankB, payment.Bob.Notes[0]));
        var ack = Assert.Single(await payment.Settlement.GetAcknowledgements());
        Assert.Equal(DecisionKind.Abort, ack.Kind);
        Assert.Equal(payment.BankB, ack.Institution);
    }

    [Fact]
    public async Task Abort_PartStoppedBetweenItsHoldsAndItsVote_ReleasesThePackagesSerialsAndRefusesLaterHolds()
    {
        // A bank part persists nothing before its holds. Its state is as a part that stopped between the holds and the
        // vote left it: the notes held by the agreement, nothing stored at the part.
        using var payment = await GroupPayment.CreateAsync(_kit);
        var request = await payment.RequestAsync();
        var aliceFirst = _kit.Note(payment.BankA, BankingKit.ParseNote(payment.Alice.Notes[0]).Serial);
        Assert.True((await aliceFirst.Hold(payment.AgreementId)).IsOk);
        Assert.Equal(BankPartStage.None, (await payment.Part(payment.BankA).Get()).Stage);

        var abort = new SettlementDecision(payment.AgreementId, DecisionKind.Abort, [], "vote_timeout", DateTimeOffset.UtcNow);
        await payment.Part(payment.BankA).Abort(abort, request with { Payers = [.. request.Payers.Where(p => p.Institution == payment.BankA)] });

        await BankingKit.EventuallyAsync(async () => (await payment.Part(payment.BankA).Get()).Stage == BankPartStage.Released, "the release");
        foreach (var note in payment.Alice.Notes.Concat(payment.Carol.Notes))
        {
            Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankA, note));
        }

        // A hold of the aborted agreement that comes later (a late copy, or a second activation of the part after a
        // silo loss) takes no note, whether the abort found it held or not.
        Assert.Equal("checkout_closed", (await aliceFirst.Hold(payment.AgreementId)).Refusal!.Code);
        var carolsFirst = _kit.Note(payment.BankA, BankingKit.ParseNote(payment.Carol.Notes[0]).Serial);
        Assert.Equal("checkout_closed", (await carolsFirst.Hold(payment.AgreementId)).Refusal!.Code);
        Assert.Equal(NoteState.Outstanding, (await carolsFirst.Get())!.State);
        var ack = Assert.Single(await payment.Settlement.GetAcknowledgements());
        Assert.Equal((payment.BankA, DecisionKind.Abort), (ack.Institution, ack.Kind));
    }

    [Fact]
    public async Task Abort_AfterAValidVote_ReleasesTheHoldsAndIgnoresALateVerify()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var request = await payment.RequestAsync();
        Assert.Equal(BankPartStage.VotedValid, (await payment.VerifyAsync(payment.BankB, request)).Stage);
        Assert.Equal(NoteState.Held, await payment.NoteStateAsync(payment.BankB, payment.Bob.Notes[0]));

        var abort = new SettlementDecision(payment.AgreementId, DecisionKind.Abort, [], "vote_timeout", DateTimeOffset.UtcNow);
        await payment.Part(payment.BankB).Abort(abort, request);
        await BankingKit.EventuallyAsync(async () => (await payment.Part(payment.BankB).Get()).Stage == BankPartStage.Released, "the release");
        await payment.Part(payment.BankB).Verify(request);

        Assert.Equal(BankPartStage.Released, (await payment.Part(payment.BankB).Get()).Stage);
        Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankB, payment.Bob.Notes[0]));
    }

    private async Task AssertInvalidAndNothingHeldAsync(GroupPayment payment, VerifyRequest request, string reason)
    {
        var view = await payment.VerifyAsync(payment.BankA, request);

        Assert.Equal(BankPartStage.VotedInvalid, view.Stage);
        Assert.Equal(reason, (await AssertVoteAsync(payment, payment.BankA, Verdict.Invalid)).Reason);
        foreach (var note in payment.Alice.Notes.Concat(payment.Carol.Notes))
        {
            Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankA, note));
        }
    }

    /// <summary>The vote the settlement grain got from <paramref name="bank"/>: signed with its published messaging key.</summary>
    private async Task<VerificationResult> AssertVoteAsync(GroupPayment payment, string bank, Verdict verdict)
    {
        var votes = await payment.Settlement.GetVotes();
        var profile = await _kit.Grains.GetGrain<IInstitutionGrain>(bank).GetProfile();
        var key = PublicJwk.Parse(profile!.MessagingKey.PublicJwkJson).Value;
        var parsed = votes.Select(v => VerificationResult.Parse(JsonNode.Parse(v)).Value).Single(v => v.Value.Institution == bank);
        Assert.Null(parsed.VerifySignature(key, Purposes.VerificationResult));
        Assert.Equal(payment.AgreementId, parsed.Value.AgreementId);
        Assert.Equal(verdict, parsed.Value.Verdict);
        return parsed.Value;
    }
}
