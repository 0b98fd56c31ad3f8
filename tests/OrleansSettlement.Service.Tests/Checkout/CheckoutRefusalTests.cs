using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>
/// Refusals at S1-S6, each with its problem code and without a trace: the checkout keeps its stage and steps, no
/// challenge reaches a wallet, and every note stays outstanding at its bank.
/// </summary>
[Collection(SettlementCollection.Name)]
public sealed class CheckoutRefusalTests(SettlementFixture fixture) : IAsyncLifetime
{
    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task ProposeAgreement_SharesDoNotSumToTotal_RefusedAndCheckoutStaysOpen()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);

        var reply = await checkout.TryPropose(world.Alice, world.Shares[0], world.Shares[1], world.Shares[2] with { ShareMinor = ThreePayers.CarolShareMinor - 1 });

        AssertRefused(reply, "shares_do_not_sum_to_total");
        var view = await checkout.Get();
        Assert.Equal(CheckoutStage.Open, view.Stage);
        Assert.Null(view.AgreementId);
    }

    [Fact]
    public async Task ProposeAgreement_LeaderNotAParticipant_RefusedNotTheLeader()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        using var stranger = await _kit.CreatePayer(world.BankA, 0, "stranger");

        var reply = await checkout.TryPropose(stranger, world.Shares);

        AssertRefused(reply, "not_the_leader");
        Assert.Equal(CheckoutStage.Open, (await checkout.Get()).Stage);
    }

    [Fact]
    public async Task ProposeAgreement_SameProposalTwice_SameAgreementAndAnotherIsRefused()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);

        var again = SettlementKit.Ok(await checkout.TryPropose(world.Alice, world.Shares), "the same proposal again");
        var other = await checkout.TryPropose(world.Bob, world.Shares);

        Assert.Equal(agreement.Id, again.AgreementId);
        AssertRefused(other, "already_exists");
    }

    public static TheoryData<string, string> BundleRefusals => new()
    {
        { "an agreement info for another agreement", "agreement_mismatch" },
        { "every payer agreed on another order", "checkout_mismatch" },
        { "submitted by a payer that does not lead", "not_the_leader" },
        { "a payer's contribution missing", "bundle_incomplete" },
        { "a payer contributing twice", "duplicate_participant" },
        { "an acceptance signed by another key", "bad_signature" },
        { "a request signed by another key", "bad_signature" },
        { "a request for less than the share", "amount_not_share" },
        { "a note held by another payer", "note_wrong_holder" },
    };

    [Theory]
    [MemberData(nameof(BundleRefusals))]
    public async Task SubmitBundle_BrokenBundle_RefusedWithItsCodeAndNoTrace(string broken, string code)
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.Propose(world.Alice, world.Shares);
        var contributions = (await checkout.Contributions()).ToList();
        var sender = world.Alice;
        switch (broken)
        {
            case "an agreement info for another agreement":
                var other = Variant(checkout, a => a with { ItemsHash = SettlementKit.ItemsHash("4 coffees") });
                contributions[1] = contributions[1] with { AgreementInfoJson = await checkout.AgreementInfo(world.Bob, other) };
                break;
            case "every payer agreed on another order":
                var another = Variant(checkout, a => a with { OrderRef = "order-2" });
                for (var i = 0; i < contributions.Count; i++)
                {
                    var payer = world.Payers[i];
                    contributions[i] = contributions[i] with
                    {
                        AgreementInfoJson = await checkout.AgreementInfo(payer, another),
                        RequestJson = await checkout.Request(payer, agreement: another),
                    };
                }

                break;
            case "submitted by a payer that does not lead":
                sender = world.Bob;
                break;
            case "a payer's contribution missing":
                contributions.RemoveAt(2);
                break;
            case "a payer contributing twice":
                contributions.Add(contributions[0]);
                break;
            case "an acceptance signed by another key":
                contributions[2] = contributions[2] with { AgreementInfoJson = await checkout.AgreementInfo(world.Carol, signedBy: world.Alice.Key) };
                break;
            case "a request signed by another key":
                contributions[1] = contributions[1] with { RequestJson = await checkout.Request(world.Bob, signedBy: world.Alice.Key) };
                break;
            case "a request for less than the share":
                contributions[1] = contributions[1] with { RequestJson = await checkout.Request(world.Bob, r => r with { Amount = Money.Create("EUR", ThreePayers.BobShareMinor - 1).Value }) };
                break;
            case "a note held by another payer":
                var stolen = world.CarolNotes[1];
                contributions[0] = contributions[0] with
                {
                    NoteJsons = [.. world.AliceNotes, stolen],
                    RequestJson = await checkout.Request(world.Alice, r => r with { Notes = [.. r.Notes, SettlementKit.ParseNote(stolen).Value.Serial] }),
                };
                break;
            default:
                throw new ArgumentException(broken, nameof(broken));
        }

        var reply = await checkout.SubmitBundle(contributions, sender);

        AssertRefused(reply, code);
        await AssertNoTrace(world, checkout, CheckoutStage.AgreementProposed);
    }

    [Fact]
    public async Task SubmitBundle_AfterARefusal_TheCorrectedBundleIsAccepted()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.Propose(world.Alice, world.Shares);
        var contributions = await checkout.Contributions();

        AssertRefused(await checkout.SubmitBundle([.. contributions.Take(2)]), "bundle_incomplete");
        var view = SettlementKit.Ok(await checkout.SubmitBundle(contributions), "the corrected bundle");

        Assert.Equal(CheckoutStage.Challenging, view.Stage);
        Assert.Equal(["S2", "S3", "S4"], view.Steps.Select(s => s.Step));
        foreach (var payer in world.Payers)
        {
            Assert.NotNull(await checkout.Challenge(payer));
        }
    }

    [Fact]
    public async Task ReceiveContribution_ForgedAcceptanceOrNotTheLeader_RefusedAndMailboxStaysEmpty()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.Propose(world.Alice, world.Shares);
        var bob = await checkout.Contribution(world.Bob);
        var forged = bob with { AgreementInfoJson = await checkout.AgreementInfo(world.Bob, signedBy: world.Carol.Key) };

        var forgedReply = await _kit.Wallet(world.Alice).ReceiveContribution(forged);
        var notLeaderReply = await _kit.Wallet(world.Carol).ReceiveContribution(bob);

        Assert.Equal("bad_signature", forgedReply.Refusal?.Code);
        Assert.Equal("not_the_leader", notLeaderReply.Refusal?.Code);
        Assert.Empty(await _kit.Wallet(world.Alice).GetContributions(checkout.AgreementId));
        Assert.Empty(await _kit.Wallet(world.Carol).GetContributions(checkout.AgreementId));
        Assert.Equal(1, SettlementKit.Ok(await _kit.Wallet(world.Alice).ReceiveContribution(bob), "Bob's real contribution"));
        Assert.Equal(1, SettlementKit.Ok(await _kit.Wallet(world.Alice).ReceiveContribution(bob), "the same again"));
    }

    [Fact]
    public async Task ReceiveContribution_AfterTheAgreementExpired_RefusedAgreementExpiredAndMailboxStaysEmpty()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit, lifetime: TimeSpan.FromSeconds(3));
        await checkout.Propose(world.Alice, world.Shares);
        var bob = await checkout.Contribution(world.Bob);
        var expiresAt = checkout.Agreement.Value.ExpiresAt;
        while (DateTimeOffset.UtcNow <= expiresAt + TimeSpan.FromMilliseconds(200))
        {
            await Task.Delay(200);
        }

        var reply = await _kit.Wallet(world.Alice).ReceiveContribution(bob);

        Assert.Equal("agreement_expired", reply.Refusal?.Code);
        Assert.Empty(await _kit.Wallet(world.Alice).GetContributions(checkout.AgreementId));
    }

    [Fact]
    public async Task SubmitResponse_SignedByAnotherKey_RefusedBadSignatureAndTheRealAnswerStillCounts()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var before = await checkout.RunToChallenges(world.Alice, world.Shares);
        var challenge = (await checkout.Challenge(world.Bob))!;

        var reply = await checkout.Grain.SubmitResponse(world.Bob.Wallet, await checkout.Response(world.Bob, challenge.ChallengeJson, signedBy: world.Alice.Key));

        AssertRefused(reply, "bad_signature");
        var after = await checkout.Get();
        Assert.Equal(CheckoutStage.Challenging, after.Stage);
        Assert.Equal(before.Steps, after.Steps);
        Assert.Equal(challenge, await checkout.Challenge(world.Bob));
        var accepted = SettlementKit.Ok(await checkout.Answer(world.Bob), "Bob's own answer");
        Assert.Contains(accepted.Steps, s => s.Step == "S6" && s.Detail.Contains(world.Bob.Wallet, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SubmitResponse_AfterTheChallengeExpired_RefusedChallengeExpired()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var before = await checkout.RunToChallenges(world.Alice, world.Shares);
        var challenge = (await checkout.Challenge(world.Carol))!;
        var response = await checkout.Response(world.Carol, challenge.ChallengeJson);

        await Task.Delay(SettlementFixture.ChallengeLifetime + TimeSpan.FromSeconds(1));
        var reply = await checkout.Grain.SubmitResponse(world.Carol.Wallet, response);

        AssertRefused(reply, "challenge_expired");
        var after = await checkout.Get();
        Assert.Equal(CheckoutStage.Challenging, after.Stage);
        Assert.Equal(before.Steps, after.Steps);
    }

    [Fact]
    public async Task SubmitResponse_ToAReplacedChallenge_RefusedChallengeMismatchAndTheNewOneIsAccepted()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        var stale = (await checkout.Challenge(world.Carol))!;
        var staleResponse = await checkout.Response(world.Carol, stale.ChallengeJson);

        // The challenges expire unanswered; the leader's identical bundle renews them (S4 again).
        await Task.Delay(SettlementFixture.ChallengeLifetime + TimeSpan.FromSeconds(1));
        var renewed = SettlementKit.Ok(await checkout.SubmitBundle(await checkout.LeaderBundle()), "the identical bundle again");
        var fresh = (await checkout.Challenge(world.Carol))!;
        var reply = await checkout.Grain.SubmitResponse(world.Carol.Wallet, staleResponse);

        Assert.Equal(CheckoutStage.Challenging, renewed.Stage);
        Assert.NotEqual(stale.ChallengeJson, fresh.ChallengeJson);
        AssertRefused(reply, "challenge_mismatch");
        Assert.Equal(renewed.Steps, (await checkout.Get()).Steps);
        SettlementKit.Ok(await checkout.Answer(world.Carol), "Carol's answer to the fresh challenge");
    }

    [Fact]
    public async Task SubmitResponse_BeforeAnyChallengeOrFromAStranger_Refused()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.Propose(world.Alice, world.Shares);
        var fakeChallenge = await StrangerChallenge(checkout, world);

        var early = await checkout.Grain.SubmitResponse(world.Bob.Wallet, await checkout.Response(world.Bob, fakeChallenge));
        SettlementKit.Ok(await checkout.SubmitBundle(), "the bundle");
        using var stranger = await _kit.CreatePayer(world.BankA, 0, "stranger");
        var strangerReply = await checkout.Grain.SubmitResponse(stranger.Wallet, await checkout.Response(world.Bob, fakeChallenge));

        AssertRefused(early, "challenge_not_found");
        AssertRefused(strangerReply, "not_a_participant");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>After every test of the whole flow: every invariant, from the stored rows.</summary>
    public async Task DisposeAsync()
    {
        _kit.Dispose();
        await fixture.AssertInvariantsAsync();
    }

    internal static void AssertRefused<T>(Reply<T> reply, string code)
    {
        Assert.False(reply.IsOk, $"expected {code}, but the call was accepted");
        Assert.Equal(code, reply.Refusal!.Code);
        Assert.False(string.IsNullOrWhiteSpace(reply.Refusal.Detail));
    }

    private async Task AssertNoTrace(ThreePayers world, GroupCheckout checkout, CheckoutStage stage)
    {
        var view = await checkout.Get();
        Assert.Equal(stage, view.Stage);
        Assert.Empty(view.Steps);
        Assert.Null(view.AbortReason);
        foreach (var payer in world.Payers)
        {
            Assert.Null(await checkout.Challenge(payer));
        }

        foreach (var note in world.AllNotes)
        {
            Assert.Equal(NoteState.Outstanding, (await _kit.Note(note).Get())!.State);
        }
    }

    /// <summary>The checkout's agreement with one thing changed: another deal, with another agreement id.</summary>
    private static Parsed<Agreement> Variant(GroupCheckout checkout, Func<Agreement, Agreement> change) =>
        SettlementKit.ParseAgreement(change(checkout.Agreement.Value).ToContent().ToJsonString());

    /// <summary>A challenge-shaped JSON text signed by a key that is not the store's (never issued by the checkout).</summary>
    private static async Task<string> StrangerChallenge(GroupCheckout checkout, ThreePayers world)
    {
        var challenge = new Challenge(checkout.AgreementId, world.Bob.Wallet, checkout.Store.Id, BinaryIds.NewRandom(), Timestamps.Truncate(DateTimeOffset.UtcNow), Timestamps.Truncate(DateTimeOffset.UtcNow.AddMinutes(1)), world.Carol.Wallet);
        return (await world.Carol.Sign(challenge.ToContent(), Purposes.Challenge)).ToJsonString();
    }
}
