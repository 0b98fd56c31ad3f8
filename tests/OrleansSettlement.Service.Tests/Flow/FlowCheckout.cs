using System.Text.Json.Nodes;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>The steps of a group checkout as the apps drive it over HTTP; <see cref="FlowCheckout.RunAsync"/> stops after any.</summary>
public enum FlowStep
{
    /// <summary>The store opened the checkout.</summary>
    Opened = 0,

    /// <summary>The leader proposed the participants and shares; the checkout fixed the agreement.</summary>
    Proposed = 1,

    /// <summary>S1: every payer but the leader sent its contribution to the leader's mailbox.</summary>
    Contributed = 2,

    /// <summary>S2: the leader submitted the bundle (its mailbox and its own contribution); S3 and S4 happened.</summary>
    Bundled = 3,

    /// <summary>S5: every payer answered its challenge; after the last one the checkout starts S7.</summary>
    Answered = 4,

    /// <summary>The checkout settled or aborted (S8-S10).</summary>
    Outcome = 5,
}

/// <summary>
/// What the payers' apps change in the messages they send, each hook given the message as built and returning what is
/// sent instead. Unset hooks send the correct message.
/// </summary>
public sealed record FlowTampering
{
    public static readonly FlowTampering None = new();

    /// <summary>The participants the leader proposes.</summary>
    public Func<IReadOnlyList<ProposedParticipant>, IReadOnlyList<ProposedParticipant>>? Proposal { get; init; }

    /// <summary>The agreement a payer accepts and signs its request for (a copy of the checkout's, to edit).</summary>
    public Func<FlowShare, JsonObject, JsonObject>? Agreement { get; init; }

    /// <summary>The notes a payer presents and names in its request and response.</summary>
    public Func<FlowShare, IReadOnlyList<JsonObject>, IReadOnlyList<JsonObject>>? Notes { get; init; }

    /// <summary>A payer's whole contribution (S1), after it was signed.</summary>
    public Func<FlowShare, ContributionInfo, Task<ContributionInfo>>? Contribution { get; init; }

    /// <summary>The bundle the leader submits (S2).</summary>
    public Func<IReadOnlyList<ContributionInfo>, IReadOnlyList<ContributionInfo>>? Bundle { get; init; }

    /// <summary>A payer's signed response to its challenge (S5).</summary>
    public Func<FlowShare, ChallengeInfo, JsonObject, Task<JsonObject>>? Response { get; init; }
}

/// <summary>
/// One group checkout driven over real HTTP through the SDK, step by step as the apps run it: the leader proposes (the
/// checkout fixes the agreement); each other payer signs its acceptance and request and sends them to the leader's
/// mailbox (S1); the leader submits its mailbox and its own contribution (S2); each payer reads its challenge from its
/// wallet's mailbox (S4) and answers it (S5); the store follows the checkout to its outcome. Every signature is the
/// payer's own ES256 signature unless a <see cref="FlowTampering"/> hook changes a message; every step can also be
/// called on its own with messages the test builds.
/// </summary>
public sealed class FlowCheckout
{
    public static readonly TimeSpan OutcomeTimeout = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, ChallengeInfo> _challenges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonObject> _responses = new(StringComparer.Ordinal);
    private List<FlowShare> _shares = [];

    internal FlowCheckout(FlowStore store, CheckoutInfo opened, FlowTampering tampering)
    {
        Store = store;
        Opened = opened;
        Tampering = tampering;
    }

    public FlowStore Store { get; }

    public CheckoutInfo Opened { get; }

    public string CheckoutId => Opened.CheckoutId;

    public FlowTampering Tampering { get; set; }

    public FlowPayer Leader { get; private set; } = null!;

    public IReadOnlyList<FlowShare> Shares => _shares;

    /// <summary>The agreement the checkout fixed at the proposal.</summary>
    public JsonObject Agreement { get; private set; } = null!;

    public string AgreementId { get; private set; } = "";

    /// <summary>The bundle last submitted.</summary>
    public IReadOnlyList<ContributionInfo> Bundle { get; private set; } = [];

    /// <summary>The challenge each payer last read (by wallet id).</summary>
    public IReadOnlyDictionary<string, ChallengeInfo> Challenges => _challenges;

    /// <summary>The response each payer last sent (by wallet id).</summary>
    public IReadOnlyDictionary<string, JsonObject> Responses => _responses;

    public FlowShare ShareOf(FlowPayer payer) => _shares.Single(s => s.Payer == payer);

    /// <summary>Runs the checkout from where it was opened up to and including <paramref name="stopAfter"/>.</summary>
    public async Task<CheckoutInfo> RunAsync(FlowStep stopAfter, FlowPayer leader, params FlowShare[] shares)
    {
        var info = Opened;
        if (stopAfter >= FlowStep.Proposed)
        {
            info = await ProposeAsync(leader, shares);
        }

        if (stopAfter >= FlowStep.Contributed)
        {
            await ContributeAsync();
        }

        if (stopAfter >= FlowStep.Bundled)
        {
            info = await SubmitBundleAsync(await LeaderBundleAsync());
        }

        if (stopAfter >= FlowStep.Answered)
        {
            info = await AnswerAllAsync();
        }

        if (stopAfter >= FlowStep.Outcome)
        {
            info = await WaitForOutcomeAsync();
        }

        return info;
    }

    /// <summary>The leader proposes <paramref name="shares"/> (in this order); the checkout fixes the agreement.</summary>
    public async Task<CheckoutInfo> ProposeAsync(FlowPayer leader, params FlowShare[] shares)
    {
        ArgumentNullException.ThrowIfNull(leader);
        ArgumentNullException.ThrowIfNull(shares);
        Leader = leader;
        _shares = [.. shares];
        IReadOnlyList<ProposedParticipant> participants = [.. shares.Select(s => s.Payer.Proposed(s.ShareMinor))];
        participants = Tampering.Proposal?.Invoke(participants) ?? participants;
        var info = await leader.Wallet.ProposeAgreementAsync(Store.Name, CheckoutId, participants);
        Agreement = info.Agreement ?? throw new InvalidOperationException("the proposal's answer carries no agreement.");
        AgreementId = info.AgreementId ?? throw new InvalidOperationException("the proposal's answer carries no agreement id.");
        return info;
    }

    /// <summary>S1: every payer but the leader sends its contribution to the leader's mailbox.</summary>
    public async Task<IReadOnlyList<ContributionReceipt>> ContributeAsync()
    {
        var receipts = new List<ContributionReceipt>();
        foreach (var share in _shares.Where(s => s.Payer != Leader))
        {
            receipts.Add(await share.Payer.Wallet.SendContributionAsync(Leader.WalletId, await ContributionAsync(share)));
        }

        return receipts;
    }

    /// <summary>The payer's contribution as its app builds it: acceptance and request signed by its key for the agreement,
    /// and its notes (each as the tampering hooks leave it).</summary>
    public async Task<ContributionInfo> ContributionAsync(FlowShare share)
    {
        ArgumentNullException.ThrowIfNull(share);
        var agreement = Tampering.Agreement?.Invoke(share, (JsonObject)Agreement.DeepClone()) ?? Agreement;
        var contribution = await share.Payer.Wallet.ContributionAsync(agreement, NotesOf(share));
        return Tampering.Contribution is null ? contribution : await Tampering.Contribution(share, contribution);
    }

    /// <summary>S2 as the leader's app makes it: what its mailbox holds for the agreement, then its own contribution.</summary>
    public async Task<IReadOnlyList<ContributionInfo>> LeaderBundleAsync()
    {
        var mailbox = await Leader.Wallet.GetContributionsAsync(AgreementId);
        return [.. mailbox.Contributions.Where(c => c.Wallet != Leader.WalletId), await ContributionAsync(ShareOf(Leader))];
    }

    /// <summary>Every payer's contribution built directly (no mailbox), in the agreement's order.</summary>
    public async Task<IReadOnlyList<ContributionInfo>> AllContributionsAsync()
    {
        var contributions = new List<ContributionInfo>();
        foreach (var share in _shares)
        {
            contributions.Add(await ContributionAsync(share));
        }

        return contributions;
    }

    /// <summary>S2: the leader (or <paramref name="sender"/>) submits <paramref name="bundle"/>.</summary>
    public Task<CheckoutInfo> SubmitBundleAsync(IReadOnlyList<ContributionInfo> bundle, FlowPayer? sender = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        Bundle = Tampering.Bundle?.Invoke(bundle) ?? bundle;
        return (sender ?? Leader).Wallet.SubmitBundleAsync(Store.Name, CheckoutId, Bundle);
    }

    /// <summary>S4: the payer's current challenge for this checkout, read from its wallet's mailbox.</summary>
    public async Task<ChallengeInfo> ChallengeAsync(FlowPayer payer)
    {
        ArgumentNullException.ThrowIfNull(payer);
        var challenges = await payer.Wallet.GetChallengesAsync();
        var challenge = challenges.Challenges.SingleOrDefault(c => c.CheckoutId == CheckoutId && c.Store == Store.Name)
            ?? throw new InvalidOperationException($"{payer} has no challenge for checkout {CheckoutId}.");
        _challenges[payer.WalletId] = challenge;
        return challenge;
    }

    /// <summary>S5: the payer's signed response to <paramref name="challenge"/> (its current one when null), naming the
    /// notes it presented, as the tampering hook leaves it.</summary>
    public async Task<JsonObject> ResponseAsync(FlowPayer payer, ChallengeInfo? challenge = null)
    {
        ArgumentNullException.ThrowIfNull(payer);
        challenge ??= await ChallengeAsync(payer);
        var share = ShareOf(payer);
        var response = await payer.Wallet.SignResponseAsync(challenge.Challenge, NotesOf(share));
        return Tampering.Response is null ? response : await Tampering.Response(share, challenge, response);
    }

    /// <summary>S5: the payer reads its current challenge and answers it.</summary>
    public async Task<CheckoutInfo> AnswerAsync(FlowPayer payer)
    {
        ArgumentNullException.ThrowIfNull(payer);
        var challenge = await ChallengeAsync(payer);
        var response = await ResponseAsync(payer, challenge);
        _responses[payer.WalletId] = response;
        return await payer.Wallet.SubmitResponseAsync(challenge.Store, challenge.CheckoutId, response);
    }

    /// <summary>S5 for every payer but <paramref name="except"/>, in the agreement's order.</summary>
    public async Task<CheckoutInfo> AnswerAllAsync(params FlowPayer[] except)
    {
        CheckoutInfo? info = null;
        foreach (var share in _shares.Where(s => !except.Contains(s.Payer)))
        {
            info = await AnswerAsync(share.Payer);
        }

        return info ?? await GetAsync();
    }

    /// <summary>The checkout as the store sees it.</summary>
    public Task<CheckoutInfo> GetAsync() => Store.Session.GetCheckoutAsync(CheckoutId);

    /// <summary>Follows the checkout until it settles or aborts (default <see cref="OutcomeTimeout"/>).</summary>
    public Task<CheckoutInfo> WaitForOutcomeAsync(TimeSpan? timeout = null) =>
        Store.Session.WaitForOutcomeAsync(CheckoutId, timeout ?? OutcomeTimeout);

    private IReadOnlyList<JsonObject> NotesOf(FlowShare share) => Tampering.Notes?.Invoke(share, share.Notes) ?? share.Notes;
}
