using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Diagnostics;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// A client terminal's presence: its registered key, the mailbox of an agreement it leads (S1), the challenges sent to
/// it (S4, the destination info), the notes issued to it and its recent checkouts. Private keys never reach it. Key: the
/// wallet id, the RFC 7638 thumbprint of its key.
/// </summary>
/// <remarks>
/// Limits (so the activation's memory and the row stay small): contributions for at most
/// <see cref="MaxMailboxAgreements"/> agreements (more is <c>invalid_field</c>), one per participant and sender (a
/// sender's new contribution replaces its earlier one), at most <see cref="MaxNotesPerAgreement"/> notes per agreement
/// (<c>invalid_field</c>) and <see cref="MaxMailboxCharacters"/> characters of JSON in the whole mailbox
/// (<c>payload_too_large</c>); at most <see cref="MaxChallenges"/> challenges (the oldest is dropped),
/// <see cref="MaxNotes"/> notes (more are ignored with a warning after spent ones are dropped) and
/// <see cref="MaxRecentCheckouts"/> recent checkouts. Durable writes: one per call that changes a stored item
/// (registration, notes); none for <see cref="Lead"/>, <see cref="ReceiveContribution"/> and
/// <see cref="DeliverChallenge"/>, whose entries live in the activation's memory only (WalletGrain.Session.cs,
/// ADR 0018); none for <see cref="AgreementEnded"/>, whose changes go with the next write (WalletGrain.Ended.cs); repeats
/// change nothing and write nothing.
/// </remarks>
public sealed partial class WalletGrain(
    [PersistentState("wallet", StorageNames.GrainState)] IPersistentState<WalletState> state,
    ILogger<WalletGrain> logger,
    TimeProvider? timeProvider = null) : Grain, IWalletGrain
{
    public const int MaxMailboxAgreements = 16;
    public const int MaxNotesPerAgreement = CheckoutGrain.MaxNotesPerBundle;
    public const long MaxMailboxCharacters = 512 * 1024;
    public const int MaxChallenges = 16;
    public const int MaxNotes = 256;
    public const int MaxRecentCheckouts = 50;

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    private string WalletId => this.GetPrimaryKeyString();

    public async Task<Reply<WalletProfile>> Register(string publicJwkJson, string institution, string account)
    {
        if (!PublicJwk.Parse(publicJwkJson ?? "").TryGetValue(out var key, out var badKey))
        {
            return Reply<WalletProfile>.Fail(badKey);
        }

        if (!string.Equals(key.Thumbprint, WalletId, StringComparison.Ordinal))
        {
            return Reply<WalletProfile>.Fail(ProtocolErrorCode.WalletKeyMismatch, $"the key's RFC 7638 thumbprint is {key.Thumbprint}, not this wallet's id {WalletId}.");
        }

        if (!Names.IsValid(institution) || !Names.IsValid(account))
        {
            return Reply<WalletProfile>.Fail(ProtocolErrorCode.InvalidField, $"institution and account must be names of 1 to {Names.MaxLength} characters of a-z, 0-9 and '-'.");
        }

        var s = state.State;
        if (s.Registered)
        {
            return string.Equals(s.Institution, institution, StringComparison.Ordinal) && string.Equals(s.Account, account, StringComparison.Ordinal)
                ? Reply<WalletProfile>.Ok(Profile())
                : Reply<WalletProfile>.Fail(ProtocolErrorCode.AlreadyExists, $"wallet {WalletId} is registered with another account.");
        }

        if (await GrainFactory.GetGrain<IInstitutionGrain>(institution).GetProfile() is null)
        {
            return Reply<WalletProfile>.Fail(ProtocolErrorCode.UnknownInstitution, $"institution '{institution}' does not exist.");
        }

        var view = await GrainFactory.GetGrain<IAccountGrain>(GrainKeys.Account(institution, account)).Get();
        if (view is null)
        {
            return Reply<WalletProfile>.Fail(ProtocolErrorCode.UnknownAccount, $"account '{account}' does not exist at '{institution}'.");
        }

        if (view.OwnerKind != OwnerKind.Wallet || !string.Equals(view.Owner, WalletId, StringComparison.Ordinal))
        {
            return Reply<WalletProfile>.Fail(ProtocolErrorCode.Forbidden, $"account '{account}' at '{institution}' is not owned by wallet {WalletId}.");
        }

        s.PublicJwkJson = key.ToJson().ToJsonString();
        s.Institution = institution;
        s.Account = account;
        s.CreatedAt = Timestamps.Truncate(_time.GetUtcNow());
        s.Registered = true;
        await Persist();
        LogRegistered(logger, WalletId, institution, account);
        return Reply<WalletProfile>.Ok(Profile());
    }

    public Task<WalletProfile?> GetProfile() => Task.FromResult(state.State.Registered ? Profile() : null);

    public Task<Reply<int>> Lead(string agreementId, string store, DateTimeOffset expiresAt)
    {
        if (!state.State.Registered)
        {
            return Task.FromResult(Reply<int>.Fail(ProtocolErrorCode.UnknownWallet, $"wallet {WalletId} is not registered."));
        }

        var now = _time.GetUtcNow();
        PruneExpired(now);
        if (!_leading.Exists(l => string.Equals(l.AgreementId, agreementId, StringComparison.Ordinal)))
        {
            if (_leading.Count >= MaxMailboxAgreements)
            {
                return Task.FromResult(Reply<int>.Fail(ProtocolErrorCode.InvalidField, $"wallet {WalletId} leads {MaxMailboxAgreements} open agreements already; finish or let one expire first."));
            }

            _leading.Add(new LedAgreement { AgreementId = agreementId, Store = store, ExpiresAt = expiresAt, TraceParent = CheckoutTelemetry.RootFromCaller() });
            SessionChanged(now);
        }

        return Task.FromResult(Reply<int>.Ok(_leading.Count));
    }

    public Task<Reply<int>> ReceiveContribution(Contribution contribution)
    {
        if (!state.State.Registered)
        {
            return Task.FromResult(Reply<int>.Fail(ProtocolErrorCode.UnknownWallet, $"wallet {WalletId} is not registered."));
        }

        var read = Read(contribution);
        if (!read.TryGetValue(out var received, out var refused))
        {
            LogContributionRefused(logger, WalletId, contribution?.Wallet ?? "", refused.WireCode);
            return Task.FromResult(Reply<int>.Fail(refused));
        }

        var (agreement, entry) = received;
        var led = _leading.Find(l => string.Equals(l.AgreementId, agreement.Id, StringComparison.Ordinal));
        using var step = CheckoutTelemetry.Step(Steps.S1, led?.TraceParent).Tag(CheckoutTelemetry.AgreementIdAttribute, agreement.Id).Tag(CheckoutTelemetry.WalletAttribute, entry.Wallet);
        var now = _time.GetUtcNow();
        PruneExpired(now);

        // An expired agreement is said to be expired (its entry has been pruned by now, so without this the answer would
        // be "leads no open agreement", which sends the payer's app looking for a proposal that will never come).
        if (agreement.Value.ExpiresAt <= now)
        {
            return Refuse(ProtocolErrorCode.AgreementExpired, $"agreement {agreement.Id} expired at {Timestamps.Format(agreement.Value.ExpiresAt)}: its checkout ends without payment.");
        }

        // Only agreements this wallet proposed at a checkout fill its mailbox: nobody else can make one up to flood it.
        // The agreements it leads are held in this activation's memory only (ADR 0018), so a fresh activation knows none:
        // there is no row to read again, and the refusal stands (docs/protocol.md 3.8).
        if (led is null)
        {
            return _leading.Exists(l => string.Equals(l.Store, agreement.Value.Store, StringComparison.Ordinal))
                ? Refuse(ProtocolErrorCode.AgreementMismatch, $"wallet {entry.Wallet} accepted agreement {agreement.Id}, which is not the one leader {WalletId} proposed at store '{agreement.Value.Store}': fetch the agreement from the checkout and accept that one.")
                : Refuse(ProtocolErrorCode.UnknownAgreement, $"wallet {WalletId} leads no open agreement {agreement.Id}: its leader proposes it at the checkout first. A leader's mailbox is kept in memory only before S7; if it was lost, this attempt ends when its checkout expires.");
        }

        var box = _mailbox.FirstOrDefault(m => string.Equals(m.AgreementId, agreement.Id, StringComparison.Ordinal));
        var previous = box?.Contributions.FirstOrDefault(c => string.Equals(c.Wallet, entry.Wallet, StringComparison.Ordinal));
        if (previous is not null && string.Equals(previous.ContentKey, entry.ContentKey, StringComparison.Ordinal))
        {
            return Task.FromResult(Reply<int>.Ok(box!.Contributions.Count));
        }

        if (box is null && _mailbox.Count >= MaxMailboxAgreements)
        {
            return Refuse(ProtocolErrorCode.InvalidField, $"the mailbox of wallet {WalletId} holds contributions for {MaxMailboxAgreements} agreements already; submit or let one end first.");
        }

        var notes = (box?.Contributions.Where(c => c != previous).Sum(c => c.NoteJsons.Count) ?? 0) + entry.NoteJsons.Count;
        if (notes > MaxNotesPerAgreement)
        {
            return Refuse(ProtocolErrorCode.InvalidField, $"agreement {agreement.Id} would spend {notes} notes; at most {MaxNotesPerAgreement} are accepted.");
        }

        var characters = _mailbox.Sum(m => m.AgreementJson.Length + m.Contributions.Where(c => c != previous).Sum(c => c.Characters))
            + entry.Characters + (box is null ? agreement.ToCanonicalString().Length : 0);
        if (characters > MaxMailboxCharacters)
        {
            return Refuse(ProtocolErrorCode.PayloadTooLarge, $"the mailbox of wallet {WalletId} is full ({MaxMailboxCharacters} characters).");
        }

        if (box is null)
        {
            box = new MailboxAgreement { AgreementId = agreement.Id, AgreementJson = agreement.ToCanonicalString(), ExpiresAt = agreement.Value.ExpiresAt };
            _mailbox.Add(box);
        }

        if (previous is not null)
        {
            box.Contributions.Remove(previous);
        }

        box.Contributions.Add(entry);
        box.Contributions.Sort((a, b) => a.ParticipantIndex.CompareTo(b.ParticipantIndex));
        SessionChanged(now);
        LogContributionKept(logger, WalletId, entry.Wallet, agreement.Id, box.Contributions.Count);
        return Task.FromResult(Reply<int>.Ok(box.Contributions.Count));
    }

    public Task<IReadOnlyList<Contribution>> GetContributions(string agreementId)
    {
        var box = _mailbox.FirstOrDefault(m => string.Equals(m.AgreementId, agreementId, StringComparison.Ordinal));
        if (box is null)
        {
            return Task.FromResult<IReadOnlyList<Contribution>>([]);
        }

        var contributions = box.Contributions
            .Select(c => new Contribution(c.Wallet, AgreementInfoJson(box.AgreementJson, c.AcceptanceJson), c.RequestJson, [.. c.NoteJsons]))
            .ToList();
        return Task.FromResult<IReadOnlyList<Contribution>>(contributions);
    }

    public Task DeliverChallenge(PendingChallenge challenge)
    {
        if (!state.State.Registered || challenge is null)
        {
            LogChallengeIgnored(logger, WalletId, challenge?.AgreementId ?? "", "the wallet is not registered");
            return Task.CompletedTask;
        }

        var parsed = MessageText.Read(challenge.ChallengeJson, "challenge", Challenge.Parse);
        if (!parsed.TryGetValue(out var c, out var error)
            || !string.Equals(c.Value.Wallet, WalletId, StringComparison.Ordinal)
            || !string.Equals(c.Value.AgreementId, challenge.AgreementId, StringComparison.Ordinal)
            || !string.Equals(c.Value.Store, challenge.Store, StringComparison.Ordinal))
        {
            LogChallengeIgnored(logger, WalletId, challenge.AgreementId, error?.WireCode ?? "not addressed to this wallet");
            return Task.CompletedTask;
        }

        var now = _time.GetUtcNow();
        PruneExpired(now);
        var existing = _challenges.FindIndex(x => string.Equals(x.Challenge.AgreementId, challenge.AgreementId, StringComparison.Ordinal));
        if (existing >= 0 && string.Equals(_challenges[existing].ChallengeId, c.Id, StringComparison.Ordinal))
        {
            return Task.CompletedTask;
        }

        if (existing >= 0)
        {
            _challenges.RemoveAt(existing);
        }

        _challenges.Add(new StoredChallenge
        {
            Challenge = challenge with { ChallengeJson = c.ToCanonicalString() },
            ExpiresAt = c.Value.ExpiresAt,
            ChallengeId = c.Id,
        });
        while (_challenges.Count > MaxChallenges)
        {
            _challenges.RemoveAt(0);
        }

        SessionChanged(now);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<PendingChallenge>> GetChallenges()
    {
        var now = _time.GetUtcNow();
        return Task.FromResult<IReadOnlyList<PendingChallenge>>([.. _challenges.Where(c => c.ExpiresAt > now).Select(c => c.Challenge)]);
    }

    public async Task ReceiveNotes(IReadOnlyList<string> noteJsons)
    {
        var s = state.State;
        if (!s.Registered || noteJsons is null)
        {
            LogNotesIgnored(logger, WalletId, noteJsons?.Count ?? 0, "the wallet is not registered");
            return;
        }

        var added = 0;
        foreach (var json in noteJsons)
        {
            var parsed = MessageText.Read(json, "note", Note.Parse);
            if (!parsed.TryGetValue(out var note, out var error) || !string.Equals(note.Value.Holder, WalletId, StringComparison.Ordinal))
            {
                LogNotesIgnored(logger, WalletId, 1, error?.WireCode ?? "held by another key");
                continue;
            }

            if (s.Notes.Any(n => string.Equals(n.Serial, note.Value.Serial, StringComparison.Ordinal) && string.Equals(n.Issuer, note.Value.Issuer, StringComparison.Ordinal)))
            {
                continue;
            }

            if (s.Notes.Count >= MaxNotes)
            {
                await DropSpent();
            }

            if (s.Notes.Count >= MaxNotes)
            {
                LogNotesIgnored(logger, WalletId, 1, "the wallet holds the most notes it keeps");
                continue;
            }

            s.Notes.Add(new StoredNote { Serial = note.Value.Serial, Issuer = note.Value.Issuer });
            added++;
        }

        if (added > 0)
        {
            await Persist();
            LogNotesReceived(logger, WalletId, added);
        }
    }

    public async Task<IReadOnlyList<WalletNote>> ListNotes()
    {
        var (listed, spent) = await LookUpNotes();
        if (spent.Count > 0)
        {
            state.State.Notes.RemoveAll(spent.Contains);
            await Persist();
        }

        return listed;
    }

    public Task<IReadOnlyList<string>> GetRecentCheckouts() => Task.FromResult<IReadOnlyList<string>>([.. state.State.RecentCheckouts]);

    /// <summary>S1 checks: the agreement is one this wallet leads, the sender one of its participants, and the sender's
    /// acceptance, request and notes are its own and fit the agreement (signatures of acceptance and request verified).</summary>
    private Outcome<(Parsed<Agreement> Agreement, MailboxContribution Entry)> Read(Contribution? contribution)
    {
        if (contribution?.NoteJsons is null || contribution.Wallet is null)
        {
            return Fail(ProtocolErrorCode.InvalidField, "the contribution is incomplete.");
        }

        var info = MessageText.Read(contribution.AgreementInfoJson, "agreementInfo", AgreementInfo.Parse);
        if (!info.TryGetValue(out var agreementInfo, out var badInfo))
        {
            return Fail(badInfo);
        }

        var agreement = agreementInfo.Agreement;
        if (!string.Equals(agreement.Value.Leader, WalletId, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.NotTheLeader, $"wallet {WalletId} does not lead agreement {agreement.Id}.");
        }

        var participants = agreement.Value.Participants;
        var index = participants.ToList().FindIndex(p => string.Equals(p.Wallet, contribution.Wallet, StringComparison.Ordinal));
        if (index < 0)
        {
            return Fail(ProtocolErrorCode.NotAParticipant, $"wallet {contribution.Wallet} is not a participant of agreement {agreement.Id}.");
        }

        var participant = participants[index];
        var acceptance = agreementInfo.Acceptance;
        if (!string.Equals(acceptance.Value.Wallet, contribution.Wallet, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.InvalidField, $"the contribution of wallet {contribution.Wallet} carries the acceptance of wallet {acceptance.Value.Wallet}.");
        }

        if (!string.Equals(acceptance.Value.AgreementId, agreement.Id, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.AgreementMismatch, $"wallet {contribution.Wallet} accepted agreement {acceptance.Value.AgreementId}, not {agreement.Id}.");
        }

        if (acceptance.VerifySignature(participant.Key, Purposes.Acceptance) is { } badAcceptance)
        {
            return Fail(badAcceptance.Code, $"the acceptance of wallet {contribution.Wallet}: {badAcceptance.Detail}");
        }

        if (_time.GetUtcNow() >= agreement.Value.ExpiresAt)
        {
            return Fail(ProtocolErrorCode.AgreementExpired, $"agreement {agreement.Id} expired at {Timestamps.Format(agreement.Value.ExpiresAt)}.");
        }

        var request = MessageText.Read(contribution.RequestJson, "request", RequestInfo.Parse);
        if (!request.TryGetValue(out var requestInfo, out var badRequest))
        {
            return Fail(badRequest);
        }

        if (!string.Equals(requestInfo.Value.Wallet, contribution.Wallet, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.InvalidField, $"the contribution of wallet {contribution.Wallet} carries the request of wallet {requestInfo.Value.Wallet}.");
        }

        if (contribution.NoteJsons.Count is 0 or > RequestInfo.MaxNotes)
        {
            return Fail(ProtocolErrorCode.InvalidField, $"a contribution spends 1 to {RequestInfo.MaxNotes} notes.");
        }

        var notes = new List<Parsed<Note>>(contribution.NoteJsons.Count);
        for (var i = 0; i < contribution.NoteJsons.Count; i++)
        {
            var note = MessageText.Read(contribution.NoteJsons[i], $"notes[{i}]", Note.Parse);
            if (!note.TryGetValue(out var parsedNote, out var badNote))
            {
                return Fail(badNote);
            }

            notes.Add(parsedNote);
        }

        // Signature, share, payee, institution and the notes' shape; the notes' own signatures are the store's (S3) and
        // the bank's (S8) to check against the issuers' keys.
        if (RequestInfo.Check(requestInfo, agreement, [.. notes.Select(n => n.Value)]) is { } badFit)
        {
            return Fail(badFit);
        }

        var entry = new MailboxContribution
        {
            Wallet = contribution.Wallet,
            ParticipantIndex = index,
            AcceptanceJson = acceptance.ToCanonicalString(),
            RequestJson = requestInfo.ToCanonicalString(),
            NoteJsons = [.. notes.Select(n => n.ToCanonicalString())],
            ContentKey = string.Join(' ', notes.Select(n => n.Id).Prepend(requestInfo.Id).Prepend(acceptance.Id)),
        };
        return Outcome<(Parsed<Agreement>, MailboxContribution)>.Ok((agreement, entry));
    }

    private static Outcome<(Parsed<Agreement>, MailboxContribution)> Fail(ProtocolError error) =>
        Outcome<(Parsed<Agreement>, MailboxContribution)>.Fail(error);

    private static Outcome<(Parsed<Agreement>, MailboxContribution)> Fail(ProtocolErrorCode code, string detail) =>
        Outcome<(Parsed<Agreement>, MailboxContribution)>.Fail(code, detail);

    private static Task<Reply<int>> Refuse(ProtocolErrorCode code, string detail) => Task.FromResult(Reply<int>.Fail(code, detail));

    private async Task<(IReadOnlyList<WalletNote> Listed, HashSet<StoredNote> Spent)> LookUpNotes()
    {
        var notes = state.State.Notes.ToList();
        var views = await Task.WhenAll(notes.Select(n => GrainFactory.GetGrain<INoteGrain>(GrainKeys.Note(n.Issuer, n.Serial)).Get()));
        var listed = new List<WalletNote>(notes.Count);
        var spent = new HashSet<StoredNote>();
        for (var i = 0; i < notes.Count; i++)
        {
            if (views[i] is not { } view)
            {
                // Not (yet) recorded at its issuer: kept, but not offered as spendable.
                LogNoteUnknown(logger, WalletId, notes[i].Issuer, notes[i].Serial);
                continue;
            }

            listed.Add(new WalletNote(view.NoteJson, view.State, view.AgreementId));
            if (view.State == NoteState.Spent)
            {
                spent.Add(notes[i]);
            }
        }

        return (listed, spent);
    }

    private async Task DropSpent()
    {
        var (_, spent) = await LookUpNotes();
        state.State.Notes.RemoveAll(spent.Contains);
    }

    private static string AgreementInfoJson(string agreementJson, string acceptanceJson) => new JsonObject
    {
        ["agreement"] = JsonNode.Parse(agreementJson),
        ["acceptance"] = JsonNode.Parse(acceptanceJson),
    }.ToJsonString();

    private WalletProfile Profile()
    {
        var s = state.State;
        return new WalletProfile(WalletId, s.PublicJwkJson, s.Institution, s.Account, s.CreatedAt);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Wallet {Wallet} registered with {Institution}/{Account}")]
    private static partial void LogRegistered(ILogger logger, string wallet, string institution, string account);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wallet {Wallet}: contribution of {Sender} refused with {Code}")]
    private static partial void LogContributionRefused(ILogger logger, string wallet, string sender, string code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wallet {Wallet}: contribution of {Sender} to agreement {AgreementId} kept ({Count} held)")]
    private static partial void LogContributionKept(ILogger logger, string wallet, string sender, string agreementId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wallet {Wallet}: challenge for agreement {AgreementId} ignored: {Reason}")]
    private static partial void LogChallengeIgnored(ILogger logger, string wallet, string agreementId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wallet {Wallet}: {Count} notes ignored: {Reason}")]
    private static partial void LogNotesIgnored(ILogger logger, string wallet, int count, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wallet {Wallet}: {Count} notes received")]
    private static partial void LogNotesReceived(ILogger logger, string wallet, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wallet {Wallet}: note {Issuer}/{Serial} is not known at its issuer")]
    private static partial void LogNoteUnknown(ILogger logger, string wallet, string issuer, string serial);
}
