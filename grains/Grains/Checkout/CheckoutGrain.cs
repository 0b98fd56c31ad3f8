using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Diagnostics;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// One checkout session of a store (S2-S7) and its story until the banks have settled (S8-S10, told by the settlement
/// grain). Key: <see cref="GrainKeys.Checkout"/>.
/// </summary>
/// <remarks>
/// <para>Every refusal happens before anything is written, so a refused call leaves no trace. Durable writes of a
/// settled checkout: Open 1 and the S7 hand-off 1 (the whole package, Stage Settling, before <c>Begin</c>). The agreement,
/// the bundle, the challenges and the responses before S7 are kept in the opening activation's memory only, and the
/// outcome is the settlement grain's to keep (CheckoutGrain.Session.cs, ADR 0017). An end before S7 (expiry, a payer's
/// decline, a lost session) writes 1.</para>
/// <para>Expiry: a grain timer and a check at every call abort a checkout that has not reached S7 by its expiry; nothing
/// was held then, so nothing is undone. No reminder: before S7 an activation that is gone took the session with it (the
/// next one ends the checkout), and from S7 on the settlement grain's reminder drives the agreement. A hand-off whose
/// <c>Begin</c> was not reached is begun by the next activation (the store and the apps read the checkout until it
/// ends), and until Begin nothing is held.</para>
/// </remarks>
public sealed partial class CheckoutGrain(
    [PersistentState("checkout", StorageNames.GrainState)] IPersistentState<CheckoutState> state,
    IOptions<CheckoutOptions> options,
    ILogger<CheckoutGrain> logger,
    DeepCopier<CheckoutState> copier,
    TimeProvider? timeProvider = null) : Grain, ICheckoutGrain
{
    /// <summary>The most notes one bundle may spend in all (32 payers x 64 notes would not fit one storage row).</summary>
    public const int MaxNotesPerBundle = 256;

    /// <summary>The most steps kept; later ones are dropped (a full flow of 32 payers records about 100).</summary>
    public const int MaxSteps = 128;

    public const int MaxCheckoutIdLength = 64;

    public const int NonceBytes = 16;

    /// <summary>The farthest ahead a checkout may expire.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);

    private static readonly HashSet<string> WireCodes =
        [.. Enum.GetValues<ProtocolErrorCode>().Select(ProtocolError.ToWireCode)];

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly CheckoutOptions _options = options.Value;
    private InstitutionDirectory? _institutions;
    private StoreProfile? _store;
    private PublicJwk? _storeKey;
    private Parsed<Agreement>? _agreement;
    private IGrainTimer? _expiryTimer;
    private IGrainTimer? _beginTimer;
    private IGrainTimer? _outcomeTimer;

    private DateTimeOffset Now => _time.GetUtcNow();

    private InstitutionDirectory Institutions => _institutions ??= new InstitutionDirectory(GrainFactory, _time);

    private string StoreId => GrainKeys.Split(this.GetPrimaryKeyString()).First;

    private string CheckoutId => GrainKeys.Split(this.GetPrimaryKeyString()).Second;

    public Task<CheckoutView?> Get() => Task.FromResult(state.State.Created ? View() : null);

    public async Task<Reply<CheckoutView>> Open(string orderRef, string currency, long totalMinor, DateTimeOffset expiresAt, string itemsHash)
    {
        if (CheckOpening(orderRef, currency, totalMinor, itemsHash) is { } invalid)
        {
            return Fail(invalid);
        }

        var s = state.State;
        var expiry = Timestamps.Truncate(expiresAt);
        if (s.Created)
        {
            var same = string.Equals(s.OrderRef, orderRef, StringComparison.Ordinal)
                && string.Equals(s.Currency, currency, StringComparison.Ordinal)
                && s.TotalMinor == totalMinor
                && s.ExpiresAt == expiry
                && string.Equals(s.ItemsHash, itemsHash, StringComparison.Ordinal);
            if (!same)
            {
                return Fail(ProtocolErrorCode.AlreadyExists, $"checkout '{CheckoutId}' of store '{StoreId}' exists with other details.");
            }

            return Reply<CheckoutView>.Ok(View());
        }

        // Null when another activation opened it meanwhile: answer as to a retry.
        return await WriteOpening(orderRef, currency, totalMinor, expiry, itemsHash, requestHash: null)
            ?? await Open(orderRef, currency, totalMinor, expiresAt, itemsHash);
    }

    /// <summary>Why the details of an opening are refused (nothing is written then), or null.</summary>
    private ProtocolError? CheckOpening(string orderRef, string currency, long totalMinor, string itemsHash)
    {
        if (CheckKey() is { } badKey)
        {
            return badKey;
        }

        if (string.IsNullOrEmpty(orderRef) || orderRef.Length > Agreement.MaxOrderRefLength || orderRef.Any(char.IsControl))
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, $"orderRef must be 1 to {Agreement.MaxOrderRefLength} characters without control characters.");
        }

        if (!Money.Positive(currency, totalMinor).TryGetValue(out _, out var badTotal))
        {
            return badTotal;
        }

        return BinaryIds.Check(itemsHash, "itemsHash", BinaryIds.HashBytes, BinaryIds.HashBytes).IsOk
            ? null
            : new ProtocolError(ProtocolErrorCode.InvalidField, "itemsHash must be the base64url SHA-256 (32 bytes) of the item list or memo.");
    }

    /// <summary>
    /// The one write of an opening (details checked, the row not created): the checkout with its expiry and, for an API
    /// request, the request's fingerprint. Returns the view, a refusal (nothing written), or null when another activation
    /// wrote the row first (this one has followed it; the caller answers as to a retry).
    /// </summary>
    private async Task<Reply<CheckoutView>?> WriteOpening(string orderRef, string currency, long totalMinor, DateTimeOffset expiry, string itemsHash, string? requestHash)
    {
        var now = Now;
        if (expiry <= now || expiry > now + MaxLifetime)
        {
            return Fail(ProtocolErrorCode.InvalidField, $"expiresAt must be in the future and at most {MaxLifetime.TotalHours:0} hours ahead (whole seconds).");
        }

        if (await GetStore() is null)
        {
            return Fail(ProtocolErrorCode.UnknownStore, $"store '{StoreId}' does not exist.");
        }

        var s = state.State;
        using var root = CheckoutTelemetry.StartCheckout(StoreId, CheckoutId);
        var before = Snapshot();
        s.TraceParent = CheckoutTelemetry.TraceParentOf(root);
        s.OrderRef = orderRef;
        s.Currency = currency;
        s.TotalMinor = totalMinor;
        s.ExpiresAt = expiry;
        s.ItemsHash = itemsHash;
        s.Stage = CheckoutStage.Open;
        s.OpenedAt = Timestamps.Truncate(now);
        s.OpenRequestHash = requestHash;
        s.Created = true;
        if (!await WriteOrFollow(before))
        {
            return null;
        }

        HoldSession();
        CheckoutMetrics.Opened.Add(1);
        LogOpened(logger, StoreId, CheckoutId, s.TotalMinor, s.Currency);

        ScheduleTimers();
        return Reply<CheckoutView>.Ok(View());
    }

    public async Task<Reply<CheckoutView>> ProposeAgreement(string leaderWallet, IReadOnlyList<ProposedParticipant> participants)
    {
        var s = state.State;
        if (!s.Created)
        {
            return await Stale() ? await ProposeAgreement(leaderWallet, participants) : Unknown();
        }

        using var step = CheckoutTelemetry.Step(Steps.Propose, s.TraceParent).Tag(CheckoutTelemetry.CheckoutIdAttribute, CheckoutId);

        await ExpireIfDue();
        if (participants is null || participants.Count is < Agreement.MinParticipants or > Agreement.MaxParticipants)
        {
            return Fail(ProtocolErrorCode.InvalidField, $"an agreement has {Agreement.MinParticipants} to {Agreement.MaxParticipants} participants.");
        }

        var store = await GetStore() ?? throw new InvalidOperationException($"store '{StoreId}' of an open checkout no longer exists.");
        var built = BuildAgreement(store, leaderWallet, participants);
        if (!built.TryGetValue(out var agreement, out var invalid))
        {
            return Fail(invalid);
        }

        if (s.AgreementId is not null)
        {
            if (!string.Equals(s.AgreementId, agreement.Id, StringComparison.Ordinal))
            {
                return Fail(ProtocolErrorCode.AlreadyExists, $"checkout '{CheckoutId}' already has agreement {s.AgreementId}.");
            }

            // The same proposal again. Before the bundle it also opens the leader's mailbox again: the mailbox lives in
            // the wallet activation's memory only (ADR 0018), so proposing again is how a leader whose payers were told
            // `unknown_agreement` restores it (docs/protocol.md 3.8). Lead is idempotent and writes nothing.
            return s.Stage == CheckoutStage.AgreementProposed && await Lead(agreement) is { } refused
                ? Reply<CheckoutView>.Fail(refused)
                : Reply<CheckoutView>.Ok(View());
        }

        if (s.Stage != CheckoutStage.Open)
        {
            return Closed();
        }

        var institutions = await Institutions.GetProfiles(agreement.Value.Participants.Select(p => p.Institution));
        if (!institutions.IsOk)
        {
            return Fail(institutions.Error);
        }

        // The leader's mailbox takes S1 contributions only for agreements it leads (recorded before the checkout is).
        if (await Lead(agreement) is { } refusal)
        {
            return Reply<CheckoutView>.Fail(refusal);
        }

        s.AgreementId = agreement.Id;
        s.AgreementJson = agreement.ToCanonicalString();
        s.Stage = CheckoutStage.AgreementProposed;
        Touched();
        _agreement = agreement;
        LogProposed(logger, StoreId, CheckoutId, agreement.Id, agreement.Value.Participants.Count);
        return Reply<CheckoutView>.Ok(View());
    }

    /// <summary>Opens the leader's mailbox for the agreement (<see cref="IWalletGrain.Lead"/>); the refusal, or null.</summary>
    private async Task<Refusal?> Lead(Parsed<Agreement> agreement)
    {
        Reply<int> led;
        using (CheckoutTelemetry.PassRoot(state.State.TraceParent))
        {
            led = await GrainFactory.GetGrain<IWalletGrain>(agreement.Value.Leader).Lead(agreement.Id, StoreId, agreement.Value.ExpiresAt);
        }

        return led.IsOk ? null : led.Refusal;
    }

    public async Task<Reply<CheckoutView>> SubmitBundle(string leaderWallet, IReadOnlyList<Contribution> contributions)
    {
        var s = state.State;
        if (!s.Created)
        {
            return await Stale() ? await SubmitBundle(leaderWallet, contributions) : Unknown();
        }

        using var step = CheckoutTelemetry.Step(Steps.S2, s.TraceParent).Tag(CheckoutTelemetry.AgreementIdAttribute, s.AgreementId).Tag(CheckoutTelemetry.WalletAttribute, leaderWallet);

        await ExpireIfDue();
        if (s.Stage == CheckoutStage.Open)
        {
            return await Stale()
                ? await SubmitBundle(leaderWallet, contributions)
                : Fail(ProtocolErrorCode.UnknownAgreement, $"checkout '{CheckoutId}' has no agreement yet: the leader proposes it first.");
        }

        if (s.Stage is not (CheckoutStage.AgreementProposed or CheckoutStage.Challenging))
        {
            return Closed();
        }

        var agreement = CurrentAgreement();
        if (!string.Equals(leaderWallet, agreement.Value.Leader, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.NotTheLeader, $"wallet {leaderWallet} is not the leader of agreement {agreement.Id}.");
        }

        var read = Bundle.Read(agreement, contributions);
        if (!read.TryGetValue(out var bundle, out var unreadable))
        {
            return Fail(unreadable);
        }

        if (s.Stage == CheckoutStage.Challenging)
        {
            return string.Equals(bundle.Fingerprint, s.BundleFingerprint, StringComparison.Ordinal)
                ? await RenewChallenges()
                : Fail(ProtocolErrorCode.AlreadyExists, $"checkout '{CheckoutId}' already accepted another bundle; its payers answer their challenges.");
        }

        var now = Now;
        if (await CheckBundle(agreement, bundle, now) is { } refused)
        {
            step.Outcome(refused.WireCode);
            LogBundleRefused(logger, StoreId, CheckoutId, refused.WireCode);
            return Fail(refused);
        }

        using var challenging = CheckoutTelemetry.Step(Steps.S4, s.TraceParent);
        var signed = await SignChallenges([.. bundle.Payers.Select(p => p.Participant.Wallet)], agreement.Id, now);
        if (!signed.TryGetValue(out var challenges, out var unsigned))
        {
            return Fail(unsigned);
        }

        var sessions = new List<PayerSession>(bundle.Payers.Count);
        for (var i = 0; i < bundle.Payers.Count; i++)
        {
            var payer = bundle.Payers[i];
            sessions.Add(new PayerSession
            {
                Wallet = payer.Participant.Wallet,
                Institution = payer.Participant.Institution,
                AcceptanceJson = payer.Info.Acceptance.ToCanonicalString(),
                RequestJson = payer.Request.ToCanonicalString(),
                NoteJsons = [.. payer.Notes.Select(n => n.ToCanonicalString())],
                ChallengeJson = challenges[i].Json,
                ChallengeExpiresAt = challenges[i].ExpiresAt,
            });
        }

        s.Payers = sessions;
        s.BundleFingerprint = bundle.Fingerprint;
        s.Stage = CheckoutStage.Challenging;
        AddStep("S2", now, $"bundle of {sessions.Count} contributions received from the leader {leaderWallet}");
        AddStep("S3", now, $"agreement infos match agreement {agreement.Id}; requests and {bundle.NoteCount} notes checked");
        AddStep("S4", now, $"challenges sent to {sessions.Count} payers, answer by {Timestamps.Format(challenges[0].ExpiresAt)}");
        Touched();
        LogChallenging(logger, StoreId, CheckoutId, agreement.Id, sessions.Count);

        await DeliverChallenges(sessions);
        return Reply<CheckoutView>.Ok(View());
    }

    public async Task<Reply<CheckoutView>> SubmitResponse(string wallet, string responseJson)
    {
        var s = state.State;
        if (!s.Created)
        {
            return await Stale() ? await SubmitResponse(wallet, responseJson) : Unknown();
        }

        using var step = CheckoutTelemetry.Step(Steps.S5, s.TraceParent).Tag(CheckoutTelemetry.AgreementIdAttribute, s.AgreementId).Tag(CheckoutTelemetry.WalletAttribute, wallet);

        await ExpireIfDue();
        var response = MessageText.Read(responseJson, "response", Response.Parse);
        if (!response.TryGetValue(out var parsed, out var unreadable))
        {
            return Fail(unreadable);
        }

        var session = s.Payers.FirstOrDefault(p => string.Equals(p.Wallet, wallet, StringComparison.Ordinal));
        if (session?.ResponseId is { } answered)
        {
            // A repeat of the response already accepted (by content id: signatures are malleable) is answered alike.
            return string.Equals(answered, parsed.Id, StringComparison.Ordinal)
                ? Reply<CheckoutView>.Ok(View())
                : Fail(ProtocolErrorCode.ChallengeMismatch, $"wallet {wallet} has already answered its challenge with another response.");
        }

        if (s.Stage is CheckoutStage.Open or CheckoutStage.AgreementProposed)
        {
            return await Stale()
                ? await SubmitResponse(wallet, responseJson)
                : Fail(ProtocolErrorCode.ChallengeNotFound, $"checkout '{CheckoutId}' has sent no challenges yet.");
        }

        if (s.Stage != CheckoutStage.Challenging)
        {
            return Closed();
        }

        var agreement = CurrentAgreement();
        var participant = agreement.Value.FindParticipant(wallet);
        if (session is null || participant is null)
        {
            return Fail(ProtocolErrorCode.NotAParticipant, $"wallet {wallet} is not a participant of agreement {agreement.Id}.");
        }

        using var verification = CheckoutTelemetry.Step(Steps.S6, s.TraceParent).Tag(CheckoutTelemetry.WalletAttribute, wallet);
        var challenge = Stored(session.ChallengeJson, Challenge.Parse);
        var request = Stored(session.RequestJson, RequestInfo.Parse);
        var now = Now;
        if (Response.Check(parsed, challenge, await GetStoreKey(), participant, request.Value.Notes, receivedAt: now) is { } refused)
        {
            verification.Outcome(refused.WireCode);
            LogResponseRefused(logger, StoreId, CheckoutId, wallet, refused.WireCode);
            return Fail(refused);
        }

        var answeredCount = s.Payers.Count(p => p.ResponseId is not null) + 1;
        var complete = answeredCount == s.Payers.Count;
        var before = complete ? Snapshot() : null;
        session.ResponseJson = parsed.ToCanonicalString();
        session.ResponseId = parsed.Id;
        AddStep("S6", now, $"response of wallet {wallet} verified ({answeredCount} of {s.Payers.Count})");
        if (before is null)
        {
            Touched();
            return Reply<CheckoutView>.Ok(View());
        }

        // S7: the one write of the session, the whole package, before Begin. Conditional on the row's ETag: if another
        // activation ended the checkout meanwhile, this write does not land, and nothing is begun.
        s.Stage = CheckoutStage.Settling;
        s.VoteDeadline = Timestamps.Truncate(now + _options.VoteTimeout);
        AddStep("S7", now, $"package sent for settlement to {string.Join(", ", SettlementInstitutions(agreement.Value))}");
        var handedOff = await WriteOrFollow(before);
        verification.Dispose(); // S6 ends with the response recorded; S7 is a step of its own
        if (!handedOff)
        {
            return Followed();
        }

        ReleaseSession();
        StopTimer(ref _expiryTimer);
        LogSettling(logger, StoreId, CheckoutId, agreement.Id);
        await StartSettlement();
        return Reply<CheckoutView>.Ok(View());
    }

    public async Task OnOutcome(SettlementView settlement)
    {
        using var step = CheckoutTelemetry.Step(Steps.Outcome, state.State.TraceParent);
        await ApplySettlement(settlement);
    }

    private Outcome<Parsed<Agreement>> BuildAgreement(StoreProfile store, string leaderWallet, IReadOnlyList<ProposedParticipant> proposed)
    {
        var s = state.State;
        var currency = Currency.Parse(s.Currency).Value;
        var participants = new List<Participant>(proposed.Count);
        for (var i = 0; i < proposed.Count; i++)
        {
            var p = proposed[i];
            if (p is null)
            {
                return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.InvalidField, $"participants[{i}] is missing.");
            }

            if (!PublicJwk.Parse(p.PublicJwkJson ?? "").TryGetValue(out var key, out var badKey))
            {
                return Outcome<Parsed<Agreement>>.Fail(badKey.Code, $"participants[{i}].key: {badKey.Detail}");
            }

            if (!Names.IsValid(p.Institution))
            {
                return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.InvalidField, $"participants[{i}].institution must be a name of 1 to {Names.MaxLength} characters of a-z, 0-9 and '-'.");
            }

            if (!Money.Positive(currency.Code, p.ShareMinor).TryGetValue(out var share, out var badShare))
            {
                return Outcome<Parsed<Agreement>>.Fail(badShare.Code, $"participants[{i}].shareMinor: {badShare.Detail}");
            }

            participants.Add(new Participant(key.Thumbprint, key, p.Institution, share));
        }

        if (!participants.Any(p => string.Equals(p.Wallet, leaderWallet, StringComparison.Ordinal)))
        {
            return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.NotTheLeader, $"wallet {leaderWallet} proposes the agreement but is not one of its participants.");
        }

        var total = Money.Create(currency, s.TotalMinor).Value;
        var agreement = new Agreement(StoreId, s.OrderRef, total, new Payee(store.Institution, store.Account), participants, leaderWallet, s.ExpiresAt, s.ItemsHash);

        // Read back what was built, so every protocol rule applies exactly as a bank and a wallet will apply it.
        return MessageText.Read(agreement.ToContent().ToJsonString(), "agreement", Protocol.Messages.Agreement.Parse);
    }

    /// <summary>S3 and what the store can check of each request and note, in the order of the protocol.</summary>
    private async Task<ProtocolError?> CheckBundle(Parsed<Agreement> agreement, Bundle bundle, DateTimeOffset now)
    {
        using var step = CheckoutTelemetry.Step(Steps.S3, state.State.TraceParent);
        var matched = AgreementMatching.Check([.. bundle.Payers.Select(p => p.Info)], now);
        if (!matched.TryGetValue(out var matchedAgreement, out var mismatch))
        {
            return mismatch;
        }

        if (!string.Equals(matchedAgreement.Id, agreement.Id, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.CheckoutMismatch, $"the payers agreed on agreement {matchedAgreement.Id}, not on this checkout's agreement {agreement.Id} (store, order, amount, payee or expiry differ).");
        }

        foreach (var payer in bundle.Payers)
        {
            var institution = payer.Participant.Institution;
            var profile = await Institutions.GetProfile(institution);
            if (profile is null)
            {
                return new ProtocolError(ProtocolErrorCode.UnknownInstitution, $"institution '{institution}' does not exist.");
            }

            foreach (var note in payer.Notes)
            {
                if (!string.Equals(note.Value.Issuer, institution, StringComparison.Ordinal))
                {
                    return new ProtocolError(ProtocolErrorCode.NoteWrongIssuer, $"note {note.Value.Serial} was issued by '{note.Value.Issuer}', not by the payer's institution '{institution}'.");
                }

                if (!Institutions.NoteKey(profile, note.Value.IssuerKeyId).TryGetValue(out var key, out var unknownKey))
                {
                    return new ProtocolError(unknownKey.Code, $"note {note.Value.Serial}: {unknownKey.Detail}");
                }

                if (Note.Check(note, institution, key, payer.Participant.Wallet, now) is { } badNote)
                {
                    return badNote;
                }
            }

            if (RequestInfo.Check(payer.Request, matchedAgreement, [.. payer.Notes.Select(n => n.Value)]) is { } badRequest)
            {
                return badRequest;
            }
        }

        // A friendlier early refusal than S8's: the note grains are the authority, and S8 asks them again.
        var notes = bundle.Payers.SelectMany(p => p.Notes).Select(n => n.Value).ToList();
        var views = await Task.WhenAll(notes.Select(n => GrainFactory.GetGrain<INoteGrain>(GrainKeys.Note(n.Issuer, n.Serial)).Get()));
        for (var i = 0; i < notes.Count; i++)
        {
            var serial = notes[i].Serial;
            switch (views[i])
            {
                case null:
                    return new ProtocolError(ProtocolErrorCode.UnknownNote, $"note {serial} is not known at '{notes[i].Issuer}'.");
                case { State: NoteState.Spent }:
                    return new ProtocolError(ProtocolErrorCode.NoteAlreadySpent, $"note {serial} is already spent.");
                case { State: NoteState.Held } held when !string.Equals(held.AgreementId, agreement.Id, StringComparison.Ordinal):
                    return new ProtocolError(ProtocolErrorCode.NoteHeldElsewhere, $"note {serial} is held for another agreement.");
                default:
                    break;
            }
        }

        return null;
    }

    /// <summary>The identical bundle again while challenging: fresh challenges for payers whose challenge expired
    /// unanswered (the old one is then refused as <c>challenge_mismatch</c>), and every open challenge delivered again.</summary>
    private async Task<Reply<CheckoutView>> RenewChallenges()
    {
        var s = state.State;
        using var step = CheckoutTelemetry.Step(Steps.S4, s.TraceParent);
        var now = Now;
        var expired = s.Payers.Where(p => p.ResponseId is null && p.ChallengeExpiresAt <= now).ToList();
        if (expired.Count > 0)
        {
            var signed = await SignChallenges([.. expired.Select(p => p.Wallet)], s.AgreementId!, now);
            if (!signed.TryGetValue(out var challenges, out var unsigned))
            {
                return Fail(unsigned);
            }

            for (var i = 0; i < expired.Count; i++)
            {
                expired[i].ChallengeJson = challenges[i].Json;
                expired[i].ChallengeExpiresAt = challenges[i].ExpiresAt;
            }

            AddStep("S4", now, $"challenges renewed for {expired.Count} payers whose challenge expired unanswered");
            Touched();
        }

        await DeliverChallenges([.. s.Payers.Where(p => p.ResponseId is null)]);
        return Reply<CheckoutView>.Ok(View());
    }

    private async Task<Outcome<IReadOnlyList<(string Json, DateTimeOffset ExpiresAt)>>> SignChallenges(IReadOnlyList<string> wallets, string agreementId, DateTimeOffset now)
    {
        var issuedAt = Timestamps.Truncate(now);
        var lifetimeEnd = Timestamps.Truncate(now + _options.ChallengeLifetime);
        var expiresAt = lifetimeEnd < state.State.ExpiresAt ? lifetimeEnd : state.State.ExpiresAt;
        if (expiresAt <= issuedAt)
        {
            return Outcome<IReadOnlyList<(string, DateTimeOffset)>>.Fail(ProtocolErrorCode.CheckoutExpired, $"checkout '{CheckoutId}' expires before a payer could answer.");
        }

        var toSign = wallets.Select(w => new ChallengeToSign(agreementId, w, BinaryIds.NewRandom(NonceBytes), issuedAt, expiresAt)).ToList();
        var signed = await GrainFactory.GetGrain<IStoreChallengeSignerGrain>(StoreId).Sign(toSign);
        if (!signed.IsOk)
        {
            return Outcome<IReadOnlyList<(string, DateTimeOffset)>>.Fail(signed.Refusal!.ToError());
        }

        return Outcome<IReadOnlyList<(string, DateTimeOffset)>>.Ok([.. signed.Value!.Select(json => (json, expiresAt))]);
    }

    /// <summary>S4's destination info: each challenge goes to its payer's mailbox. A failed delivery is logged; the
    /// challenge is stored, and the leader's identical bundle delivers it again.</summary>
    private async Task DeliverChallenges(IReadOnlyList<PayerSession> payers)
    {
        var agreementId = state.State.AgreementId!;
        await Task.WhenAll(payers.Select(async payer =>
        {
            try
            {
                await GrainFactory.GetGrain<IWalletGrain>(payer.Wallet)
                    .DeliverChallenge(new PendingChallenge(StoreId, CheckoutId, agreementId, payer.ChallengeJson));
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                LogDeliveryFailed(logger, exception, StoreId, CheckoutId, payer.Wallet);
            }
        }));
    }

    /// <summary>S7: hands the package to the settlement grain. Begin is idempotent; when it cannot be reached, the grain
    /// timer tries again while the activation lives, and the next activation (the next read of the checkout) after.</summary>
    private async Task StartSettlement()
    {
        var s = state.State;
        if (s.Stage != CheckoutStage.Settling)
        {
            StopTimer(ref _beginTimer);
            return;
        }

        using var step = CheckoutTelemetry.Step(Steps.S7, s.TraceParent).Tag(CheckoutTelemetry.AgreementIdAttribute, s.AgreementId);
        Reply<SettlementView> reply;
        try
        {
            reply = await GrainFactory.GetGrain<ISettlementGrain>(s.AgreementId!).Begin(SettlementStart());
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogBeginFailed(logger, exception, StoreId, CheckoutId, s.AgreementId!);
            _beginTimer ??= this.RegisterGrainTimer(StartSettlement, _options.RetryPeriod, _options.RetryPeriod);
            return;
        }

        StopTimer(ref _beginTimer);
        if (!reply.IsOk)
        {
            // Refused (for example another checkout started this agreement): no bank was asked for this checkout.
            LogBeginRefused(logger, StoreId, CheckoutId, s.AgreementId!, reply.Refusal!.Code);
            var before = Snapshot();
            s.Stage = CheckoutStage.Aborted;
            s.AbortReason = reply.Refusal;
            AddStep("S7", Now, $"settlement refused the package: {reply.Refusal.Code}");
            if (await WriteOrFollow(before))
            {
                await Ended();
            }

            return;
        }

        _outcomeTimer ??= this.RegisterGrainTimer(AskSettlement, _options.OutcomePollPeriod, _options.OutcomePollPeriod);
        await ApplySettlement(reply.Value!);
    }

    /// <summary>
    /// While begun and not ended, this activation asks the settlement grain for its view now and then: the settlement
    /// grain tells the checkout its outcome by one-way calls, and one lost after the settlement completed (its reminder
    /// is gone then) would leave this activation showing Settling until it is collected.
    /// </summary>
    private async Task AskSettlement()
    {
        var s = state.State;
        if (s.Stage != CheckoutStage.Settling)
        {
            StopTimer(ref _outcomeTimer);
            return;
        }

        using var step = CheckoutTelemetry.Step(Steps.Tick, s.TraceParent);
        var view = await GrainFactory.GetGrain<ISettlementGrain>(s.AgreementId!).Get();
        if (view is null)
        {
            await StartSettlement();
            return;
        }

        await ApplySettlement(view);
    }

    private SettlementStart SettlementStart()
    {
        var s = state.State;
        var agreement = CurrentAgreement();
        var payers = s.Payers
            .Select(p => new PayerPackage(p.Wallet, p.Institution, p.NoteJsons, p.RequestJson, p.ChallengeJson, p.ResponseJson!))
            .ToList();
        return new SettlementStart(agreement.Id, s.AgreementJson!, StoreId, CheckoutId, payers, SettlementInstitutions(agreement.Value), s.VoteDeadline!.Value)
        {
            TraceParent = s.TraceParent,
        };
    }

    /// <summary>The institutions in the commit: every payer's and the payee's, fixed by the agreement, sorted ordinally.</summary>
    private static IReadOnlyList<string> SettlementInstitutions(Agreement agreement) =>
        [.. agreement.Participants.Select(p => p.Institution).Append(agreement.Payee.Institution).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    private async Task ApplySettlement(SettlementView view)
    {
        var s = state.State;
        if (view is null || !s.Created || s.AgreementId is null
            || !string.Equals(view.AgreementId, s.AgreementId, StringComparison.Ordinal)
            || !string.Equals(view.Store, StoreId, StringComparison.Ordinal)
            || !string.Equals(view.CheckoutId, CheckoutId, StringComparison.Ordinal)
            || s.Stage is not (CheckoutStage.Settling or CheckoutStage.Aborted))
        {
            LogOutcomeIgnored(logger, StoreId, CheckoutId, view?.AgreementId ?? "", s.Stage);
            return;
        }

        var now = Now;
        var changed = false;
        var terminal = false;
        foreach (var institution in view.Voted.Where(i => !s.VotesSeen.Contains(i, StringComparer.Ordinal)).ToList())
        {
            s.VotesSeen.Add(institution);
            AddStep("S8", now, $"{institution} verified the payment again and voted");
            changed = true;
        }

        var decision = view.Decision;
        if (decision is not null && !s.DecisionSeen)
        {
            s.DecisionSeen = true;
            AddStep("S9", now, decision.Kind == DecisionKind.Commit ? "commit decided" : $"abort decided ({decision.AbortReason})");
            changed = true;
            if (decision.Kind == DecisionKind.Abort && s.Stage == CheckoutStage.Settling)
            {
                s.Stage = CheckoutStage.Aborted;
                s.AbortReason = AbortRefusal(decision);
                terminal = true;
            }
        }

        foreach (var acknowledgement in view.Acknowledgements.Where(a => !s.AcknowledgementsSeen.Contains(a.Institution, StringComparer.Ordinal)).ToList())
        {
            s.AcknowledgementsSeen.Add(acknowledgement.Institution);
            AddStep("S10", now, acknowledgement.Kind == DecisionKind.Commit ? $"settled at {acknowledgement.Institution}" : $"holds released at {acknowledgement.Institution}");
            changed = true;
        }

        if (decision?.Kind == DecisionKind.Commit && view.Stage == SettlementStage.Completed && s.Stage == CheckoutStage.Settling)
        {
            s.Receipt = BuildReceipt(view, now);
            s.Stage = CheckoutStage.Settled;
            terminal = true;
            changed = true;
        }

        // Nothing is written: the votes, the decision and the banks' acknowledgements are the settlement grain's to keep,
        // and a fresh activation of this checkout rebuilds the outcome from its view (Begin, in FollowRow). Only the times
        // of the steps seen since S7 may differ then (ADR 0017).
        if (!changed || !terminal)
        {
            return;
        }

        RecordEventMarks();
        LogEnded(logger, StoreId, CheckoutId, s.AgreementId, s.Stage, s.AbortReason?.Code ?? "");
        await Ended();
    }

    private Receipt BuildReceipt(SettlementView view, DateTimeOffset now)
    {
        var s = state.State;
        var agreement = CurrentAgreement().Value;
        var lines = view.Acknowledgements.Where(a => a.Kind == DecisionKind.Commit).SelectMany(a => a.Payers).ToList();
        var ordered = new List<ReceiptLine>(agreement.Participants.Count);
        foreach (var participant in agreement.Participants)
        {
            var line = lines.FirstOrDefault(l => string.Equals(l.Wallet, participant.Wallet, StringComparison.Ordinal));
            if (line is null)
            {
                // Every payer bank acknowledges its payers; a missing line is a bank's bug. The share was paid (commit).
                LogReceiptLineMissing(logger, StoreId, CheckoutId, participant.Wallet);
                line = new ReceiptLine(participant.Wallet, participant.Institution, participant.Share.AmountMinor, 0, []);
            }

            ordered.Add(line);
        }

        return new Receipt(s.AgreementId!, StoreId, s.OrderRef, s.Currency, s.TotalMinor, agreement.Payee.Institution, agreement.Payee.Account, ordered, view.CompletedAt ?? Timestamps.Truncate(now));
    }

    /// <summary>The checkout's abort reason from the decision: its problem code, naming the bank that found it; a vote
    /// timeout (reason <c>vote_timeout</c>, not a problem code) is reported as <c>checkout_expired</c>.</summary>
    private static Refusal AbortRefusal(SettlementDecision decision)
    {
        var reason = decision.AbortReason ?? "";
        var voter = decision.ResultJsons.Count > 0
            && MessageText.Read(decision.ResultJsons[0], "result", VerificationResult.Parse).TryGetValue(out var result, out _)
            ? result.Value.Institution
            : null;
        if (voter is not null)
        {
            var code = WireCodes.Contains(reason) ? reason : ProtocolError.ToWireCode(ProtocolErrorCode.CheckoutClosed);
            return new Refusal(code, $"{voter} found the payment invalid ({reason}); every bank released its holds and nothing moved.");
        }

        return WireCodes.Contains(reason)
            ? new Refusal(reason, $"the settlement was aborted ({reason}); nothing moved.")
            : Refusal.Of(ProtocolErrorCode.CheckoutExpired, $"not every bank voted in time ({reason}); the settlement was aborted and nothing moved.");
    }

    /// <summary>Aborts a checkout that reached its expiry before S7 (nothing was held, so nothing is undone).</summary>
    private async Task ExpireIfDue()
    {
        var s = state.State;
        var now = Now;
        if (!s.Created || now < s.ExpiresAt || s.Stage is not (CheckoutStage.Open or CheckoutStage.AgreementProposed or CheckoutStage.Challenging))
        {
            return;
        }

        var pending = s.Stage == CheckoutStage.Challenging ? "S6" : "S2";
        var before = Snapshot();
        s.Stage = CheckoutStage.Aborted;
        s.AbortReason = Refusal.Of(ProtocolErrorCode.CheckoutExpired, $"checkout '{CheckoutId}' expired at {Timestamps.Format(s.ExpiresAt)} before S7; nothing was held.");
        AddStep(pending, now, "the checkout expired before every payer had answered; nothing was held");
        if (!await WriteOrFollow(before))
        {
            return;
        }

        LogEnded(logger, StoreId, CheckoutId, s.AgreementId ?? "", s.Stage, s.AbortReason.Code);
        await Ended();
    }

    /// <summary>The one-shot expiry timer: expires the checkout, or arms itself again if it fired early.</summary>
    private async Task ExpiryTick()
    {
        using var step = CheckoutTelemetry.Step(Steps.Tick, state.State.TraceParent);
        StopTimer(ref _expiryTimer);
        await ExpireIfDue();
        ScheduleTimers();
    }

    /// <summary>After a terminal stage is known: no more timers, and every payer's mailbox is cleared. An outcome a fresh
    /// activation rebuilds from the settlement grain (<see cref="FollowRow"/>) was counted and announced by the activation
    /// that saw it happen: neither is repeated at every later activation.</summary>
    private async Task Ended()
    {
        StopTimer(ref _expiryTimer);
        StopTimer(ref _beginTimer);
        StopTimer(ref _outcomeTimer);
        ReleaseSession();
        if (_rebuilding)
        {
            return;
        }

        CheckoutMetrics.Ended(state.State.Stage == CheckoutStage.Settled, state.State.AbortReason?.Code);
        if (state.State.AgreementId is { } agreementId)
        {
            foreach (var participant in CurrentAgreement().Value.Participants)
            {
                await GrainFactory.GetGrain<IWalletGrain>(participant.Wallet).AgreementEnded(agreementId, StoreId, CheckoutId);
            }
        }
    }

    private void ScheduleTimers()
    {
        var s = state.State;
        if (BeforeS7(s.Stage))
        {
            _expiryTimer ??= this.RegisterGrainTimer(ExpiryTick, Positive(s.ExpiresAt - Now), Timeout.InfiniteTimeSpan);
        }
    }

    private static void StopTimer(ref IGrainTimer? timer)
    {
        timer?.Dispose();
        timer = null;
    }

    private static TimeSpan Positive(TimeSpan span) => span > TimeSpan.Zero ? span : TimeSpan.Zero;

    private void AddStep(string step, DateTimeOffset at, string detail)
    {
        if (state.State.Steps.Count < MaxSteps)
        {
            state.State.Steps.Add(new CheckoutStep(step, at, detail));
        }
    }

    private Parsed<Agreement> CurrentAgreement() =>
        _agreement ??= Stored(state.State.AgreementJson ?? throw new InvalidOperationException("the checkout has no agreement."), Protocol.Messages.Agreement.Parse);

    /// <summary>Reads a message this grain stored after checking it; failing to read it back is a bug.</summary>
    private static Parsed<T> Stored<T>(string json, Func<System.Text.Json.Nodes.JsonNode?, string, Outcome<Parsed<T>>> parse)
        where T : class
    {
        var read = MessageText.Read(json, typeof(T).Name, parse);
        return read.TryGetValue(out var value, out var error)
            ? value
            : throw new InvalidOperationException($"a stored {typeof(T).Name} no longer reads: {error.WireCode}");
    }

    private async Task<StoreProfile?> GetStore() =>
        _store ??= await GrainFactory.GetGrain<IStoreGrain>(StoreId).GetProfile();

    private async Task<PublicJwk> GetStoreKey()
    {
        if (_storeKey is not null)
        {
            return _storeKey;
        }

        var store = await GetStore() ?? throw new InvalidOperationException($"store '{StoreId}' of a checkout no longer exists.");
        _storeKey = PublicJwk.Parse(store.ChallengeKey.PublicJwkJson).Value;
        return _storeKey;
    }

    private ProtocolError? CheckKey()
    {
        var key = this.GetPrimaryKeyString();
        var at = key.IndexOf(GrainKeys.Separator, StringComparison.Ordinal);
        if (at <= 0 || !Names.IsValid(key[..at]))
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, "a checkout is named by a store name and a checkout id.");
        }

        var id = key[(at + 1)..];
        return id.Length is 0 or > MaxCheckoutIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? new ProtocolError(ProtocolErrorCode.InvalidField, $"a checkout id is 1 to {MaxCheckoutIdLength} characters of A-Z, a-z, 0-9, '-' and '_'.")
            : null;
    }

    private CheckoutView View()
    {
        var s = state.State;
        return new CheckoutView(StoreId, CheckoutId, s.OrderRef, s.Currency, s.TotalMinor, s.ExpiresAt, s.Stage, s.AgreementId, s.AgreementJson, [.. s.Steps], s.AbortReason, s.Receipt, s.ItemsHash);
    }

    /// <summary>
    /// Before a refusal that rests on what this activation holds ("no such checkout", "no agreement yet", "no challenges
    /// yet"), the row is read again: a second, stale activation can exist briefly after a silo dies
    /// (<see cref="DurableState.RefreshAsync{T}"/>). True when the row had moved on; the caller then decides again.
    /// </summary>
    /// <remarks>An activation holding the session does not read: its memory is ahead of the row by design, and all another
    /// activation can write is an end, which the hand-off's conditional write then finds.</remarks>
    private async Task<bool> Stale()
    {
        if (_session || !await state.RefreshAsync())
        {
            return false;
        }

        _agreement = null;
        await FollowRow();
        return true;
    }

    private Reply<CheckoutView> Unknown() =>
        Fail(ProtocolErrorCode.UnknownCheckout, $"checkout '{this.GetPrimaryKeyString()}' does not exist.");

    private Reply<CheckoutView> Closed()
    {
        var s = state.State;
        if (s.AbortReason?.Code == ProtocolError.ToWireCode(ProtocolErrorCode.CheckoutSessionLost))
        {
            return Fail(ProtocolErrorCode.CheckoutSessionLost, s.AbortReason.Detail);
        }

        return s.AbortReason?.Code == ProtocolError.ToWireCode(ProtocolErrorCode.CheckoutExpired) && !s.DecisionSeen
            ? Fail(ProtocolErrorCode.CheckoutExpired, s.AbortReason.Detail)
            : Fail(ProtocolErrorCode.CheckoutClosed, $"checkout '{CheckoutId}' is {s.Stage}: it takes no more of this.");
    }

    private static Reply<CheckoutView> Fail(ProtocolErrorCode code, string detail) => Reply<CheckoutView>.Fail(code, detail);

    private static Reply<CheckoutView> Fail(ProtocolError error) => Reply<CheckoutView>.Fail(error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId} opened for {TotalMinor} {Currency}")]
    private static partial void LogOpened(ILogger logger, string store, string checkoutId, long totalMinor, string currency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: agreement {AgreementId} proposed with {Participants} participants")]
    private static partial void LogProposed(ILogger logger, string store, string checkoutId, string agreementId, int participants);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: bundle refused with {Code}")]
    private static partial void LogBundleRefused(ILogger logger, string store, string checkoutId, string code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: agreement {AgreementId} matched, {Payers} challenges sent (S4)")]
    private static partial void LogChallenging(ILogger logger, string store, string checkoutId, string agreementId, int payers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: response of wallet {Wallet} refused with {Code}")]
    private static partial void LogResponseRefused(ILogger logger, string store, string checkoutId, string wallet, string code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: every response valid, agreement {AgreementId} goes to settlement (S7)")]
    private static partial void LogSettling(ILogger logger, string store, string checkoutId, string agreementId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkout {Store}/{CheckoutId}: the challenge for wallet {Wallet} was not delivered; it stays stored")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string store, string checkoutId, string wallet);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkout {Store}/{CheckoutId}: settlement of agreement {AgreementId} could not be begun; retrying")]
    private static partial void LogBeginFailed(ILogger logger, Exception exception, string store, string checkoutId, string agreementId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checkout {Store}/{CheckoutId}: settlement refused agreement {AgreementId} with {Code}")]
    private static partial void LogBeginRefused(ILogger logger, string store, string checkoutId, string agreementId, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkout {Store}/{CheckoutId}: outcome for agreement {AgreementId} ignored in stage {Stage}")]
    private static partial void LogOutcomeIgnored(ILogger logger, string store, string checkoutId, string agreementId, CheckoutStage stage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout {Store}/{CheckoutId}: agreement {AgreementId} ended {Stage} {Code}")]
    private static partial void LogEnded(ILogger logger, string store, string checkoutId, string agreementId, CheckoutStage stage, string code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checkout {Store}/{CheckoutId}: no bank acknowledged a receipt line for wallet {Wallet}")]
    private static partial void LogReceiptLineMissing(ILogger logger, string store, string checkoutId, string wallet);

    /// <summary>A bundle as read (S2): one contribution per participant in the agreement's order, each parsed.</summary>
    private sealed record Bundle(IReadOnlyList<BundlePayer> Payers, string Fingerprint, int NoteCount)
    {
        public static Outcome<Bundle> Read(Parsed<Agreement> agreement, IReadOnlyList<Contribution> contributions)
        {
            if (contributions is null || contributions.Count == 0)
            {
                return Outcome<Bundle>.Fail(ProtocolErrorCode.BundleIncomplete, "the bundle holds no contribution.");
            }

            if (contributions.Count > Protocol.Messages.Agreement.MaxParticipants)
            {
                return Outcome<Bundle>.Fail(ProtocolErrorCode.InvalidField, $"a bundle holds at most {Protocol.Messages.Agreement.MaxParticipants} contributions.");
            }

            var byWallet = new Dictionary<string, (Contribution Contribution, int Index)>(StringComparer.Ordinal);
            var noteCount = 0;
            for (var i = 0; i < contributions.Count; i++)
            {
                var c = contributions[i];
                if (c is null || c.NoteJsons is null)
                {
                    return Outcome<Bundle>.Fail(ProtocolErrorCode.InvalidField, $"contributions[{i}] is incomplete.");
                }

                if (agreement.Value.FindParticipant(c.Wallet) is null)
                {
                    return Outcome<Bundle>.Fail(ProtocolErrorCode.NotAParticipant, $"contributions[{i}]: wallet {c.Wallet} is not a participant of agreement {agreement.Id}.");
                }

                if (!byWallet.TryAdd(c.Wallet, (c, i)))
                {
                    return Outcome<Bundle>.Fail(ProtocolErrorCode.DuplicateParticipant, $"contributions[{i}]: wallet {c.Wallet} contributes more than once.");
                }

                noteCount = checked(noteCount + c.NoteJsons.Count);
            }

            var missing = agreement.Value.Participants.FirstOrDefault(p => !byWallet.ContainsKey(p.Wallet));
            if (missing is not null)
            {
                return Outcome<Bundle>.Fail(ProtocolErrorCode.BundleIncomplete, $"the bundle has no contribution from wallet {missing.Wallet}.");
            }

            if (noteCount > MaxNotesPerBundle)
            {
                return Outcome<Bundle>.Fail(ProtocolErrorCode.InvalidField, $"the bundle spends {noteCount} notes; at most {MaxNotesPerBundle} are accepted in one checkout.");
            }

            var payers = new List<BundlePayer>(byWallet.Count);
            var fingerprint = new StringBuilder();
            foreach (var participant in agreement.Value.Participants)
            {
                var (contribution, index) = byWallet[participant.Wallet];
                var read = BundlePayer.Read(participant, contribution, $"contributions[{index}]");
                if (!read.TryGetValue(out var payer, out var error))
                {
                    return Outcome<Bundle>.Fail(error);
                }

                payers.Add(payer);
                fingerprint.Append(payer.Participant.Wallet).Append(' ').Append(payer.Info.Acceptance.Id).Append(' ').Append(payer.Request.Id);
                foreach (var note in payer.Notes)
                {
                    fingerprint.Append(' ').Append(note.Id);
                }

                fingerprint.Append('\n');
            }

            var digest = Sha256Id.Of(Encoding.UTF8.GetBytes(fingerprint.ToString()));
            return Outcome<Bundle>.Ok(new Bundle(payers, digest, noteCount));
        }
    }

    /// <summary>One payer's contribution, parsed; its acceptance and request are its own (by wallet).</summary>
    private sealed record BundlePayer(Participant Participant, AgreementInfo Info, Parsed<RequestInfo> Request, IReadOnlyList<Parsed<Note>> Notes)
    {
        public static Outcome<BundlePayer> Read(Participant participant, Contribution contribution, string path)
        {
            var info = MessageText.Read(contribution.AgreementInfoJson, $"{path}.agreementInfo", AgreementInfo.Parse);
            if (!info.TryGetValue(out var agreementInfo, out var badInfo))
            {
                return Outcome<BundlePayer>.Fail(badInfo);
            }

            if (!string.Equals(agreementInfo.Acceptance.Value.Wallet, participant.Wallet, StringComparison.Ordinal))
            {
                return Outcome<BundlePayer>.Fail(ProtocolErrorCode.InvalidField, $"{path}: the contribution of wallet {participant.Wallet} carries the acceptance of wallet {agreementInfo.Acceptance.Value.Wallet}.");
            }

            var request = MessageText.Read(contribution.RequestJson, $"{path}.request", RequestInfo.Parse);
            if (!request.TryGetValue(out var requestInfo, out var badRequest))
            {
                return Outcome<BundlePayer>.Fail(badRequest);
            }

            if (!string.Equals(requestInfo.Value.Wallet, participant.Wallet, StringComparison.Ordinal))
            {
                return Outcome<BundlePayer>.Fail(ProtocolErrorCode.InvalidField, $"{path}: the contribution of wallet {participant.Wallet} carries the request of wallet {requestInfo.Value.Wallet}.");
            }

            if (contribution.NoteJsons.Count is 0 or > RequestInfo.MaxNotes)
            {
                return Outcome<BundlePayer>.Fail(ProtocolErrorCode.InvalidField, $"{path}: a contribution spends 1 to {RequestInfo.MaxNotes} notes.");
            }

            var notes = new List<Parsed<Note>>(contribution.NoteJsons.Count);
            for (var i = 0; i < contribution.NoteJsons.Count; i++)
            {
                var note = MessageText.Read(contribution.NoteJsons[i], $"{path}.notes[{i}]", Note.Parse);
                if (!note.TryGetValue(out var parsed, out var badNote))
                {
                    return Outcome<BundlePayer>.Fail(badNote);
                }

                notes.Add(parsed);
            }

            return Outcome<BundlePayer>.Ok(new BundlePayer(participant, agreementInfo, requestInfo, notes));
        }
    }
}
