using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>The commit point on its own: the timeout abort, and votes that must not count.</summary>
[Collection(SettlementCollection.Name)]
public sealed class SettlementGrainTests(SettlementFixture fixture) : IAsyncLifetime
{
    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task Begin_VoteDeadlinePassedBeforeEveryVote_AbortsWithVoteTimeoutAndEveryHoldIsReleased()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        var start = await checkout.Package(voteDeadline: DateTimeOffset.UtcNow.AddSeconds(-1));
        var settlement = _kit.Settlement(checkout.AgreementId);

        var begun = SettlementKit.Ok(await settlement.Begin(start), "begin");
        var again = SettlementKit.Ok(await settlement.Begin(start), "begin again");
        var otherCheckout = await settlement.Begin(start with { CheckoutId = "another" });
        var done = await SettlementKit.Eventually(settlement.Get, v => v!.Stage == SettlementStage.Completed);

        Assert.Equal(SettlementStage.Collecting, begun.Stage);
        Assert.Equal(checkout.CheckoutId, again.CheckoutId);
        Assert.Equal("already_exists", otherCheckout.Refusal?.Code);
        Assert.Equal(SettlementStage.Completed, done!.Stage);
        Assert.Equal((DecisionKind.Abort, "vote_timeout"), (done.Decision!.Kind, done.Decision.AbortReason));
        Assert.Empty(done.Decision.ResultJsons);
        Assert.Equal(start.Institutions, done.Acknowledgements.Select(a => a.Institution));
        Assert.All(done.Acknowledgements, a => Assert.Equal(DecisionKind.Abort, a.Kind));
        foreach (var note in world.AllNotes)
        {
            Assert.Equal(NoteState.Outstanding, (await _kit.Note(note).Get())!.State);
        }

        // The checkout never sent this package, so the outcome does not touch it.
        Assert.Equal(CheckoutStage.Challenging, (await checkout.Get()).Stage);
    }

    [Fact]
    public async Task Vote_ForgedMisaddressedOrForeign_RefusedAndTheDecisionStands()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        var settlement = _kit.Settlement(checkout.AgreementId);
        var unknown = await settlement.Vote("{}");
        SettlementKit.Ok(await settlement.Begin(await checkout.Package(DateTimeOffset.UtcNow.AddSeconds(-1))), "begin");
        var decided = await SettlementKit.Eventually(settlement.Get, v => v!.Stage == SettlementStage.Completed);
        var bankKid = (await _kit.Grains.GetGrain<IInstitutionGrain>(world.BankA).GetProfile())!.MessagingKey.Kid;

        var forged = await settlement.Vote(await Result(world, checkout.AgreementId, world.BankA, bankKid));
        var ownKey = await settlement.Vote(await Result(world, checkout.AgreementId, world.BankA, world.Carol.Wallet));
        var misaddressed = await settlement.Vote(await Result(world, SettlementKit.ItemsHash("another agreement"), world.BankA, bankKid));
        var foreign = await settlement.Vote(await Result(world, checkout.AgreementId, "bank-z", bankKid));

        Assert.Equal("unknown_agreement", unknown.Refusal?.Code);
        Assert.Equal("bad_signature", forged.Refusal?.Code);
        Assert.Equal("unknown_key", ownKey.Refusal?.Code);
        Assert.Equal("agreement_mismatch", misaddressed.Refusal?.Code);
        Assert.Equal("not_a_participant", foreign.Refusal?.Code);
        Assert.Equal(decided!.Decision, (await settlement.Get())!.Decision);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test of the whole flow: every invariant, from the stored rows.</summary>
    public async Task DisposeAsync()
    {
        _kit.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    /// <summary>A VALID verification result in the name of <paramref name="institution"/>, signed by Carol's key.</summary>
    private static async Task<string> Result(ThreePayers world, string agreementId, string institution, string kid)
    {
        var result = new VerificationResult(agreementId, institution, kid, Verdict.Valid, null, DateTimeOffset.UtcNow);
        JsonObject signed = await world.Carol.Sign(result.ToContent(), Purposes.VerificationResult);
        return signed.ToJsonString();
    }
}
