using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Service.Tests.Kit;

/// <summary>One payer's part in a group checkout: its share and the notes (signed JSON texts) it spends.</summary>
public sealed record Share(PayerParty Payer, long ShareMinor, IReadOnlyList<string> NoteJsons);

/// <summary>
/// One group checkout driven as the apps drive it: the leader proposes the agreement; each payer signs its acceptance
/// and request (S1) and the others send them to the leader's mailbox; the leader submits the bundle (S2); each payer
/// reads its challenge from its wallet's mailbox (S4) and answers it (S5). Every signature is a real ES256 signature
/// by the payer's own key. The <c>Try*</c> and message methods let a test break exactly one thing.
/// </summary>
public sealed class GroupCheckout
{
    private readonly SettlementKit _kit;
    private List<Share> _shares = [];

    internal GroupCheckout(SettlementKit kit, StoreParty store, string checkoutId, CheckoutView opened)
    {
        _kit = kit;
        Store = store;
        CheckoutId = checkoutId;
        Opened = opened;
        Grain = kit.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store.Id, checkoutId));
    }

    public StoreParty Store { get; }

    public string CheckoutId { get; }

    public CheckoutView Opened { get; }

    public ICheckoutGrain Grain { get; }

    /// <summary>The agreement fixed by <see cref="Propose"/>.</summary>
    public Parsed<Agreement> Agreement { get; private set; } = null!;

    public string AgreementId => Agreement.Id;

    public PayerParty Leader { get; private set; } = null!;

    public IReadOnlyList<Share> Shares => _shares;

    public IEnumerable<PayerParty> Payers => _shares.Select(s => s.Payer);

    public Share ShareOf(PayerParty payer) => _shares.Single(s => s.Payer == payer);

    /// <summary>The leader's proposal as sent, without checking the answer.</summary>
    public Task<Reply<CheckoutView>> TryPropose(PayerParty leader, params Share[] shares)
    {
        ArgumentNullException.ThrowIfNull(leader);
        ArgumentNullException.ThrowIfNull(shares);
        var participants = shares.Select(s => new ProposedParticipant(s.Payer.PublicJwkJson, s.Payer.Institution, s.ShareMinor)).ToList();
        return Grain.ProposeAgreement(leader.Wallet, participants);
    }

    /// <summary>Proposes the agreement (leader first or not, in the order given) and keeps what the checkout fixed.</summary>
    public async Task<Parsed<Agreement>> Propose(PayerParty leader, params Share[] shares)
    {
        var view = SettlementKit.Ok(await TryPropose(leader, shares), "propose the agreement");
        Agreement = SettlementKit.ParseAgreement(view.AgreementJson!);
        Leader = leader;
        _shares = [.. shares];
        return Agreement;
    }

    /// <summary>S1: the payer's agreement info, the acceptance signed by its key (or by <paramref name="signedBy"/>, to forge),
    /// for the checkout's agreement or <paramref name="agreement"/>.</summary>
    public async Task<string> AgreementInfo(PayerParty payer, Parsed<Agreement>? agreement = null, LocalSigner? signedBy = null)
    {
        ArgumentNullException.ThrowIfNull(payer);
        agreement ??= Agreement;
        var acceptance = await payer.Sign(new Acceptance(agreement.Id, payer.Wallet).ToContent(), Purposes.Acceptance, signedBy);
        return new JsonObject { ["agreement"] = agreement.Json.DeepClone(), ["acceptance"] = acceptance }.ToJsonString();
    }

    /// <summary>S1: the payer's request for its share from its notes, change to itself; <paramref name="change"/> alters it before signing.</summary>
    public async Task<string> Request(PayerParty payer, Func<RequestInfo, RequestInfo>? change = null, LocalSigner? signedBy = null, Parsed<Agreement>? agreement = null)
    {
        ArgumentNullException.ThrowIfNull(payer);
        agreement ??= Agreement;
        var share = ShareOf(payer);
        var serials = share.NoteJsons.Select(n => SettlementKit.ParseNote(n).Value.Serial).ToList();
        var request = new RequestInfo(agreement.Id, payer.Wallet, payer.Institution, serials, Money.Create(SettlementKit.Currency, share.ShareMinor).Value, agreement.Value.Payee, payer.Wallet);
        request = change is null ? request : change(request);
        return (await payer.Sign(request.ToContent(), Purposes.Request, signedBy)).ToJsonString();
    }

    /// <summary>The payer's whole contribution (agreement info, request, notes), correctly signed.</summary>
    public async Task<Contribution> Contribution(PayerParty payer) =>
        new(payer.Wallet, await AgreementInfo(payer), await Request(payer), ShareOf(payer).NoteJsons);

    /// <summary>Every payer's contribution, in the agreement's order.</summary>
    public async Task<IReadOnlyList<Contribution>> Contributions()
    {
        var contributions = new List<Contribution>();
        foreach (var payer in Payers)
        {
            contributions.Add(await Contribution(payer));
        }

        return contributions;
    }

    /// <summary>S1: every payer but the leader sends its contribution to the leader's mailbox.</summary>
    public async Task SendToLeader()
    {
        foreach (var payer in Payers.Where(p => p != Leader))
        {
            SettlementKit.Ok(await _kit.Wallet(Leader).ReceiveContribution(await Contribution(payer)), $"S1 from {payer}");
        }
    }

    /// <summary>S2 as the leader's app makes it: what its mailbox holds for the agreement, and its own contribution.</summary>
    public async Task<IReadOnlyList<Contribution>> LeaderBundle()
    {
        var received = await _kit.Wallet(Leader).GetContributions(AgreementId);
        return [.. received.Where(c => c.Wallet != Leader.Wallet), await Contribution(Leader)];
    }

    /// <summary>S2: the leader (or <paramref name="sender"/>) submits <paramref name="bundle"/> (default: every correct contribution).</summary>
    public async Task<Reply<CheckoutView>> SubmitBundle(IReadOnlyList<Contribution>? bundle = null, PayerParty? sender = null) =>
        await Grain.SubmitBundle((sender ?? Leader).Wallet, bundle ?? await Contributions());

    /// <summary>Proposes, sends S1 to the leader's mailbox and submits the leader's bundle; the checkout is then challenging.</summary>
    public async Task<CheckoutView> RunToChallenges(PayerParty leader, params Share[] shares)
    {
        await Propose(leader, shares);
        await SendToLeader();
        return SettlementKit.Ok(await SubmitBundle(await LeaderBundle()), "S2 bundle");
    }

    /// <summary>S4: the payer's current challenge for this checkout, from its wallet's mailbox (null when none).</summary>
    public async Task<PendingChallenge?> Challenge(PayerParty payer)
    {
        var challenges = await _kit.Wallet(payer).GetChallenges();
        return challenges.SingleOrDefault(c => c.CheckoutId == CheckoutId && c.Store == Store.Id);
    }

    /// <summary>S5: the payer's response to <paramref name="challengeJson"/>, naming its request's notes, signed by its key
    /// (or by <paramref name="signedBy"/>, to forge).</summary>
    public async Task<string> Response(PayerParty payer, string challengeJson, LocalSigner? signedBy = null)
    {
        ArgumentNullException.ThrowIfNull(payer);
        var challenge = Protocol.Messages.Challenge.Parse(JsonNode.Parse(challengeJson)).Value;
        var serials = ShareOf(payer).NoteJsons.Select(n => SettlementKit.ParseNote(n).Value.Serial).ToList();
        var response = new Response(challenge.Value.AgreementId, payer.Wallet, challenge.Id, challenge.Value.Nonce, serials);
        return (await payer.Sign(response.ToContent(), Purposes.Response, signedBy)).ToJsonString();
    }

    /// <summary>S5: the payer answers its current challenge.</summary>
    public async Task<Reply<CheckoutView>> Answer(PayerParty payer)
    {
        var challenge = await Challenge(payer) ?? throw new InvalidOperationException($"{payer} has no challenge for checkout {CheckoutId}.");
        return await Grain.SubmitResponse(payer.Wallet, await Response(payer, challenge.ChallengeJson));
    }

    /// <summary>S5 for every payer (but <paramref name="except"/>), each answer required to be accepted.</summary>
    public async Task<CheckoutView> AnswerAll(params PayerParty[] except)
    {
        CheckoutView? view = null;
        foreach (var payer in Payers.Where(p => !except.Contains(p)))
        {
            view = SettlementKit.Ok(await Answer(payer), $"S5 from {payer}");
        }

        return view ?? await Get();
    }

    /// <summary>
    /// The S7 package as the checkout hands it to the settlement grain once every payer has answered its current
    /// challenge (read from the wallets' mailboxes), with <paramref name="voteDeadline"/>: to test the settlement grain
    /// on its own. Call it while the checkout is challenging.
    /// </summary>
    public async Task<SettlementStart> Package(DateTimeOffset voteDeadline)
    {
        var payers = new List<PayerPackage>();
        foreach (var share in _shares)
        {
            var challenge = await Challenge(share.Payer) ?? throw new InvalidOperationException($"{share.Payer} has no challenge for checkout {CheckoutId}.");
            payers.Add(new PayerPackage(share.Payer.Wallet, share.Payer.Institution, share.NoteJsons, await Request(share.Payer), challenge.ChallengeJson, await Response(share.Payer, challenge.ChallengeJson)));
        }

        var institutions = Agreement.Value.Participants.Select(p => p.Institution).Append(Agreement.Value.Payee.Institution)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new SettlementStart(AgreementId, Agreement.ToCanonicalString(), Store.Id, CheckoutId, payers, institutions, voteDeadline);
    }

    public async Task<CheckoutView> Get() =>
        await Grain.Get() ?? throw new InvalidOperationException($"checkout {CheckoutId} does not exist.");

    /// <summary>Waits until the checkout reaches <paramref name="stage"/> (default 15 s) and returns what it last saw.</summary>
    public Task<CheckoutView> WaitForStage(CheckoutStage stage, TimeSpan? timeout = null) =>
        SettlementKit.Eventually(Get, view => view.Stage == stage, timeout);
}
