using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Chaos.Scenarios;

/// <summary>One payer's part in a checkout: its share and the notes it presents.</summary>
public sealed record ChaosShare(ChaosPayer Payer, long ShareMinor, IReadOnlyList<string> NoteJsons);

/// <summary>What a checkout's driver does wrong on purpose, once, before it does it right.</summary>
public sealed record Misbehaviour(ScenarioKind Kind, ChaosPayer Payer, LocalSigner Forger);

/// <summary>
/// Drives one group checkout through the grains as the apps do (open, propose, S1 to the leader's mailbox, S2 bundle,
/// S4 challenges from the wallets' mailboxes, S5 responses), every call through <see cref="ClientCalls"/>. The S5 phase
/// is a loop over what the checkout shows, so a step whose answer was lost, a challenge that expired under faults or a
/// killed silo are simply taken up again. A <see cref="Misbehaviour"/> sends one wrong message first and records whether
/// it was refused.
/// </summary>
public sealed class CheckoutDriver
{
    /// <summary>How many times the payers send their contributions before a lost leader mailbox ends the drive.</summary>
    private const int MailboxAttempts = 3;

    private readonly IGrainFactory _grains;
    private readonly ClientCalls _calls;
    private readonly string _store;
    private readonly List<ChaosShare> _shares;
    private readonly Dictionary<string, string> _contributions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Contribution> _built = new(StringComparer.Ordinal);

    public CheckoutDriver(IGrainFactory grains, ClientCalls calls, string store, string checkoutId, IReadOnlyList<ChaosShare> shares)
    {
        _grains = grains;
        _calls = calls;
        _store = store;
        CheckoutId = checkoutId;
        _shares = [.. shares];
        Grain = grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store, checkoutId));
    }

    public string CheckoutId { get; }

    public ICheckoutGrain Grain { get; }

    public string? AgreementId { get; private set; }

    public ChaosPayer Leader => _shares[0].Payer;

    /// <summary>Wrong messages that the service accepted (each one a finding).</summary>
    public List<string> Accepted { get; } = [];

    /// <summary>Where the driver stopped and why, for the report.</summary>
    public string Progress { get; private set; } = "not opened";

    public long TotalMinor => _shares.Sum(s => s.ShareMinor);

    /// <summary>Opens the checkout (expiring after <paramref name="lifetime"/>) and proposes the agreement.</summary>
    public async Task ProposeAsync(TimeSpan lifetime, Action<string> registerAgreement)
    {
        var itemsHash = Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes("chaos " + CheckoutId));
        while (true)
        {
            var expiresAt = Timestamps.Truncate(DateTimeOffset.UtcNow + lifetime);
            var opened = await _calls.Send(() => Grain.Open("order-" + CheckoutId, ScenarioParties.Currency, TotalMinor, expiresAt, itemsHash), $"open checkout {CheckoutId}").ConfigureAwait(false);
            if (opened.IsOk)
            {
                break;
            }

            // Retries under faults can reach the grain after the expiry they carry has passed. Nothing was opened then (an
            // open that landed answers its retries alike, before any check of the time), so the till opens again with a
            // fresh expiry, as a real one would.
            if (opened.Refusal!.Code == "invalid_field" && opened.Refusal.Detail.StartsWith("expiresAt", StringComparison.Ordinal) && !_calls.Expired)
            {
                continue;
            }

            throw new ScenarioDriverException($"open checkout {CheckoutId} was refused: {opened.Refusal.Code}: {opened.Refusal.Detail}");
        }

        Progress = "opened";
        var participants = Participants();
        var view = await _calls.Ok(() => Grain.ProposeAgreement(Leader.Wallet, participants), "propose", duplicate: true).ConfigureAwait(false);
        AgreementId = view.AgreementId!;
        Agreement = Protocol.Messages.Agreement.Parse(JsonNode.Parse(view.AgreementJson!)).Value;
        registerAgreement(AgreementId);
        Progress = "proposed";
    }

    public Parsed<Agreement> Agreement { get; private set; } = null!;

    /// <summary>S1 and S2: every other payer to the leader's mailbox, then the leader's bundle (after a wrong one first,
    /// when <paramref name="misbehaviour"/> is about the bundle). False when the store refused the bundle because a note is
    /// spent or held by another agreement (the loser of a race or a double spend): nothing more to drive.</summary>
    public async Task<bool> SubmitBundleAsync(Misbehaviour? misbehaviour)
    {
        var bundle = await GatherBundle().ConfigureAwait(false);
        Progress = "S1 done";
        if (misbehaviour is { Kind: ScenarioKind.MismatchedAgreement or ScenarioKind.ForgedNote })
        {
            var wrong = await WrongBundle(bundle, misbehaviour).ConfigureAwait(false);
            var reply = await _calls.Send(() => Grain.SubmitBundle(Leader.Wallet, wrong), "S2 wrong bundle").ConfigureAwait(false);
            if (reply.IsOk)
            {
                Accepted.Add($"{misbehaviour.Kind}: the bundle with {misbehaviour.Payer}'s wrong contribution was accepted at S2-S3.");
            }
        }

        _bundle = bundle;
        if (!await SendBundle().ConfigureAwait(false))
        {
            Progress = "S2 refused: a note is spent or held elsewhere";
            return false;
        }

        Progress = "S2 done";
        return true;
    }

    private IReadOnlyList<Contribution> _bundle = [];

    /// <summary>
    /// S5 until the checkout leaves the challenging stage: each payer (but <paramref name="vanished"/>) answers its current
    /// challenge; an expired one is renewed by the same bundle again. <paramref name="misbehaviour"/> about responses
    /// happens first. Returns false when the drive deadline passed first.
    /// </summary>
    public async Task<bool> AnswerAsync(Misbehaviour? misbehaviour, ChaosPayer? vanished)
    {
        if (misbehaviour is { Kind: ScenarioKind.BadResponse })
        {
            var challenge = await ChallengeOf(misbehaviour.Payer).ConfigureAwait(false);
            if (challenge is not null)
            {
                var forged = await ResponseTo(misbehaviour.Payer, challenge, misbehaviour.Forger).ConfigureAwait(false);
                var reply = await _calls.Send(() => Grain.SubmitResponse(misbehaviour.Payer.Wallet, forged), "S5 forged response").ConfigureAwait(false);
                if (reply.IsOk)
                {
                    Accepted.Add($"BadResponse: a response of {misbehaviour.Payer} signed by another key was accepted at S5.");
                }
            }
        }

        if (misbehaviour is { Kind: ScenarioKind.LateResponse })
        {
            var challenge = await ChallengeOf(misbehaviour.Payer).ConfigureAwait(false);
            if (challenge is not null)
            {
                var expiresAt = Challenge.Parse(JsonNode.Parse(challenge.ChallengeJson)).Value.Value.ExpiresAt;
                var wait = expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.2);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait).ConfigureAwait(false);
                }

                var late = await ResponseTo(misbehaviour.Payer, challenge).ConfigureAwait(false);
                var reply = await _calls.Send(() => Grain.SubmitResponse(misbehaviour.Payer.Wallet, late), "S5 late response").ConfigureAwait(false);
                if (reply.IsOk)
                {
                    Accepted.Add($"LateResponse: {misbehaviour.Payer}'s response after its challenge expired at {Timestamps.Format(expiresAt)} was accepted.");
                }
            }
        }

        while (!_calls.Expired)
        {
            var view = await _calls.Send(Grain.Get, "read the checkout").ConfigureAwait(false);
            if (view is null || view.Stage is not CheckoutStage.Challenging)
            {
                Progress = $"answered ({view?.Stage})";
                return true;
            }

            var renew = false;
            foreach (var share in _shares.Where(s => s.Payer != vanished))
            {
                var challenge = await ChallengeOf(share.Payer).ConfigureAwait(false);
                if (challenge is null)
                {
                    renew = true;
                    continue;
                }

                var response = await ResponseTo(share.Payer, challenge).ConfigureAwait(false);
                var reply = await _calls.Send(() => Grain.SubmitResponse(share.Payer.Wallet, response), $"S5 from {share.Payer}").ConfigureAwait(false);
                if (!reply.IsOk)
                {
                    renew = true;
                }
            }

            if (vanished is not null)
            {
                Progress = $"{vanished} vanished mid-challenge";
                return true;
            }

            if (renew && !await SendBundle().ConfigureAwait(false))
            {
                Progress = "S2 again refused: a note is spent or held elsewhere";
                return true;
            }

            await Task.Delay(300).ConfigureAwait(false);
        }

        Progress = "S5 not done by the drive deadline";
        return false;
    }

    public Task<CheckoutView?> GetAsync() => Grain.Get();

    /// <summary>Sends the correct bundle (again); false when it was refused for a note spent or held elsewhere.</summary>
    private async Task<bool> SendBundle()
    {
        var reply = await _calls.Send(() => Grain.SubmitBundle(Leader.Wallet, _bundle), "S2 bundle").ConfigureAwait(false);
        if (reply.IsOk || reply.Refusal!.Code is "checkout_closed" or "checkout_expired" or "checkout_session_lost")
        {
            return true;
        }

        if (reply.Refusal.Code is "note_already_spent" or "note_held_elsewhere")
        {
            return false;
        }

        var view = await _calls.Send(Grain.Get, "read the checkout").ConfigureAwait(false);
        return view?.Stage is CheckoutStage.Open or CheckoutStage.AgreementProposed
            ? throw new ScenarioDriverException($"the correct bundle was refused: {reply.Refusal.Code}: {reply.Refusal.Detail}")
            : true;
    }

    /// <summary>S1, and the leader's bundle read from its mailbox. The mailbox lives in the leader's wallet activation's
    /// memory only (ADR 0018). When it was lost (S1 refused <c>unknown_agreement</c>, or an accepted contribution missing),
    /// the leader proposes again, which opens it again, and the payers send their contributions again, as
    /// docs/protocol.md 3.8 tells apps to do.</summary>
    private async Task<IReadOnlyList<Contribution>> GatherBundle()
    {
        for (var attempt = 1; ; attempt++)
        {
            var lost = await SendContributions().ConfigureAwait(false);
            if (lost is null)
            {
                if (await LeaderBundle().ConfigureAwait(false) is { } bundle)
                {
                    return bundle;
                }

                lost = "the leader's mailbox lacks a contribution that was accepted.";
            }

            if (attempt == MailboxAttempts)
            {
                throw new LeaderMailboxLostException($"{lost} (after proposing again {MailboxAttempts - 1} times)");
            }

            var participants = Participants();
            var again = await _calls.Send(() => Grain.ProposeAgreement(Leader.Wallet, participants), "propose again").ConfigureAwait(false);
            if (!again.IsOk)
            {
                // The checkout ended meanwhile (its session lost, expired or closed): the outcome check sees its end.
                throw new LeaderMailboxLostException($"{lost} Proposing again was refused: {again.Refusal!.Code}: {again.Refusal.Detail}");
            }
        }
    }

    /// <summary>S1: every other payer's contribution to the leader's mailbox. Null when all were taken; why not when the
    /// mailbox does not know the agreement (lost with its wallet activation, ADR 0018).</summary>
    private async Task<string?> SendContributions()
    {
        foreach (var share in _shares.Skip(1))
        {
            var contribution = await ContributionOf(share).ConfigureAwait(false);
            var sent = await _calls.Send(() => _grains.GetGrain<IWalletGrain>(Leader.Wallet).ReceiveContribution(contribution), $"S1 from {share.Payer}").ConfigureAwait(false);
            if (!sent.IsOk)
            {
                var refused = $"S1 from {share.Payer} was refused: {sent.Refusal!.Code}: {sent.Refusal.Detail}";
                return sent.Refusal.Code switch
                {
                    "unknown_agreement" => refused,
                    "agreement_expired" or "checkout_expired" => throw new CheckoutExpiredException(refused),
                    _ => throw new ScenarioDriverException(refused),
                };
            }
        }

        return null;
    }

    private List<ProposedParticipant> Participants() =>
        [.. _shares.Select(s => new ProposedParticipant(s.Payer.PublicJwkJson, s.Payer.Institution, s.ShareMinor))];

    /// <summary>The leader's bundle from its mailbox; null when a contribution the mailbox accepted is missing (the
    /// mailbox was lost with its wallet activation, ADR 0018).</summary>
    private async Task<IReadOnlyList<Contribution>?> LeaderBundle()
    {
        var received = await _calls.Send(() => _grains.GetGrain<IWalletGrain>(Leader.Wallet).GetContributions(AgreementId!), "read the leader's mailbox").ConfigureAwait(false);
        var others = _shares.Skip(1).Select(s => received.FirstOrDefault(c => c.Wallet == s.Payer.Wallet)).ToList();
        if (others.Any(c => c is null))
        {
            // The mailbox drops an agreement's contributions once the agreement has expired (the checkout then aborts by
            // expiry, an outcome).
            var expiresAt = Agreement.Value.ExpiresAt;
            return DateTimeOffset.UtcNow >= expiresAt
                ? throw new CheckoutExpiredException($"the agreement expired at {Timestamps.Format(expiresAt)} before the leader read its mailbox.")
                : null;
        }

        return [.. others!, await ContributionOf(_shares[0]).ConfigureAwait(false)];
    }

    private async Task<Contribution> ContributionOf(ChaosShare share)
    {
        if (_built.TryGetValue(share.Payer.Wallet, out var built))
        {
            return built;
        }

        var contribution = new Contribution(share.Payer.Wallet, await AgreementInfo(share.Payer, Agreement).ConfigureAwait(false), await Request(share, Agreement).ConfigureAwait(false), share.NoteJsons);
        _built[share.Payer.Wallet] = contribution;
        return contribution;
    }

    private async Task<IReadOnlyList<Contribution>> WrongBundle(IReadOnlyList<Contribution> bundle, Misbehaviour misbehaviour)
    {
        var share = _shares.Single(s => s.Payer == misbehaviour.Payer);
        Contribution wrong;
        if (misbehaviour.Kind == ScenarioKind.MismatchedAgreement)
        {
            // The payer accepted another deal: the same agreement with another order reference (another id).
            var other = (JsonObject)Agreement.Json.DeepClone();
            other["orderRef"] = "other-" + CheckoutId;
            var otherAgreement = Protocol.Messages.Agreement.Parse(other).Value;
            wrong = new Contribution(share.Payer.Wallet, await AgreementInfo(share.Payer, otherAgreement).ConfigureAwait(false), await Request(share, otherAgreement).ConfigureAwait(false), share.NoteJsons);
        }
        else
        {
            // A note of the payer's bank (its real key id) with a fresh serial and a larger amount, signed by a forger.
            var content = (JsonObject)JsonNode.Parse(share.NoteJsons[0])!;
            content.Remove("sig");
            content["serial"] = BinaryIds.NewRandom();
            content["amountMinor"] = share.ShareMinor + 1;
            var forged = (await share.Payer.Sign(content, content["purpose"]!.GetValue<string>(), misbehaviour.Forger).ConfigureAwait(false)).ToJsonString();
            var notes = new[] { forged };
            wrong = new Contribution(share.Payer.Wallet, await AgreementInfo(share.Payer, Agreement).ConfigureAwait(false), await Request(share with { NoteJsons = notes }, Agreement).ConfigureAwait(false), notes);
        }

        return [.. bundle.Select(c => c.Wallet == wrong.Wallet ? wrong : c)];
    }

    private static async Task<string> AgreementInfo(ChaosPayer payer, Parsed<Agreement> agreement)
    {
        var acceptance = await payer.Sign(new Acceptance(agreement.Id, payer.Wallet).ToContent(), Purposes.Acceptance).ConfigureAwait(false);
        return new JsonObject { ["agreement"] = agreement.Json.DeepClone(), ["acceptance"] = acceptance }.ToJsonString();
    }

    private static async Task<string> Request(ChaosShare share, Parsed<Agreement> agreement)
    {
        var serials = share.NoteJsons.Select(n => Note.Parse(JsonNode.Parse(n)).Value.Value.Serial).ToList();
        var request = new RequestInfo(agreement.Id, share.Payer.Wallet, share.Payer.Institution, serials, Money.Create(ScenarioParties.Currency, share.ShareMinor).Value, agreement.Value.Payee, share.Payer.Wallet);
        return (await share.Payer.Sign(request.ToContent(), Purposes.Request).ConfigureAwait(false)).ToJsonString();
    }

    private async Task<PendingChallenge?> ChallengeOf(ChaosPayer payer)
    {
        var challenges = await _calls.Send(() => _grains.GetGrain<IWalletGrain>(payer.Wallet).GetChallenges(), $"S4 challenges of {payer}").ConfigureAwait(false);
        return challenges.SingleOrDefault(c => c.CheckoutId == CheckoutId && c.Store == _store);
    }

    private async Task<string> ResponseTo(ChaosPayer payer, PendingChallenge pending, LocalSigner? signedBy = null)
    {
        var challenge = Challenge.Parse(JsonNode.Parse(pending.ChallengeJson)).Value;
        var share = _shares.Single(s => s.Payer == payer);
        var serials = share.NoteJsons.Select(n => Note.Parse(JsonNode.Parse(n)).Value.Value.Serial).ToList();
        var response = new Response(challenge.Value.AgreementId, payer.Wallet, challenge.Id, challenge.Value.Nonce, serials);
        return (await payer.Sign(response.ToContent(), Purposes.Response, signedBy).ConfigureAwait(false)).ToJsonString();
    }
}
