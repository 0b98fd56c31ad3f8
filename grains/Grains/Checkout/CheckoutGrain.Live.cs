using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// What the web pages need beyond S2-S7: wallets joining an open checkout (so the leader can name them), a payer ending
/// it when its agreement differs, and the checkout's live events.
/// </summary>
/// <remarks>
/// <para>Events are derived from the state in a fixed order: <c>opened</c>, each <c>joined</c> (only while
/// open), the <c>agreement</c> (before any step), each <c>step</c>, and the <c>outcome</c> at the place recorded when
/// the checkout ended (<see cref="CheckoutState.OutcomeAfterSteps"/>). Joins end before the agreement, the agreement
/// comes before the first step and steps are only appended, so an event's number never changes within an activation.
/// Before S7 the state is the opening activation's memory (ADR 0017): a lost session leaves the row as Open and the joins
/// wrote it, and a feed that saw more is answered with a reset (<see cref="Renumbered"/>). The times of steps after S7
/// are rebuilt from the settlement grain by a fresh activation.</para>
/// <para>Durable writes: Join 1 (none for a repeat), Decline 1 (an end before S7).</para>
/// </remarks>
public sealed partial class CheckoutGrain
{
    /// <summary>The most wallets that may join one checkout (the most participants an agreement has).</summary>
    public const int MaxJoined = Agreement.MaxParticipants;

    public async Task<Reply<CheckoutView>> Join(string wallet, string publicJwkJson, string institution)
    {
        var s = state.State;
        if (!s.Created)
        {
            return Unknown();
        }

        await ExpireIfDue();
        if (!PublicJwk.Parse(publicJwkJson ?? "").TryGetValue(out var key, out var badKey))
        {
            return Fail(badKey);
        }

        if (!string.Equals(key.Thumbprint, wallet, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.WalletKeyMismatch, $"wallet {wallet} is not the thumbprint of the key given.");
        }

        if (!Names.IsValid(institution))
        {
            return Fail(ProtocolErrorCode.InvalidField, $"institution must be a name of 1 to {Names.MaxLength} characters of a-z, 0-9 and '-'.");
        }

        if (s.Joined.Exists(j => string.Equals(j.Wallet, wallet, StringComparison.Ordinal)))
        {
            return Reply<CheckoutView>.Ok(View());
        }

        if (s.Stage != CheckoutStage.Open)
        {
            return Closed();
        }

        if (s.Joined.Count >= MaxJoined)
        {
            return Fail(ProtocolErrorCode.InvalidField, $"checkout '{CheckoutId}' has {MaxJoined} wallets already, the most an agreement names.");
        }

        var before = Snapshot();
        s.Joined.Add(new JoinedPayer(wallet, key.ToJson().ToJsonString(), institution, Timestamps.Truncate(Now)));
        if (!await WriteOrFollow(before))
        {
            return Followed();
        }

        return Reply<CheckoutView>.Ok(View());
    }

    public async Task<Reply<CheckoutView>> Decline(string wallet, string agreementInfoJson)
    {
        var s = state.State;
        if (!s.Created)
        {
            return Unknown();
        }

        await ExpireIfDue();
        var read = MessageText.Read(agreementInfoJson, "agreementInfo", AgreementInfo.Parse);
        if (!read.TryGetValue(out var info, out var unreadable))
        {
            return Fail(unreadable);
        }

        if (s.Stage == CheckoutStage.Open)
        {
            return Fail(ProtocolErrorCode.UnknownAgreement, $"checkout '{CheckoutId}' has no agreement yet: there is nothing to differ from.");
        }

        var agreement = CurrentAgreement();
        var acceptance = info.Acceptance.Value;
        if (s.Stage == CheckoutStage.Aborted && s.AbortReason?.Detail.Contains(Declined(wallet, acceptance.AgreementId), StringComparison.Ordinal) == true)
        {
            return Reply<CheckoutView>.Ok(View());
        }

        if (s.Stage is not (CheckoutStage.AgreementProposed or CheckoutStage.Challenging))
        {
            return Closed();
        }

        var participant = agreement.Value.FindParticipant(wallet);
        if (participant is null)
        {
            return Fail(ProtocolErrorCode.NotAParticipant, $"wallet {wallet} is not a participant of agreement {agreement.Id}.");
        }

        if (!string.Equals(acceptance.Wallet, wallet, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.Forbidden, $"wallet {wallet} may send only its own agreement info.");
        }

        if (!string.Equals(acceptance.AgreementId, info.Agreement.Id, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.InvalidField, $"the acceptance names agreement {acceptance.AgreementId}, not the agreement {info.Agreement.Id} it comes with.");
        }

        if (string.Equals(acceptance.AgreementId, agreement.Id, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.InvalidField, $"wallet {wallet} accepted this checkout's agreement {agreement.Id}: its agreement info matches.");
        }

        if (info.Acceptance.VerifySignature(participant.Key, Purposes.Acceptance) is { } badSignature)
        {
            return Fail(badSignature.Code, $"the acceptance of wallet {wallet}: {badSignature.Detail}");
        }

        var now = Now;
        var before = Snapshot();
        s.Stage = CheckoutStage.Aborted;
        s.AbortReason = Refusal.Of(ProtocolErrorCode.AgreementMismatch, $"{Declined(wallet, acceptance.AgreementId)}, not this checkout's agreement {agreement.Id}: the agreement infos do not match (S3), so the store refuses the payment; nothing was held.");
        AddStep("S3", now, $"the agreement info of wallet {wallet} does not match agreement {agreement.Id}");
        if (!await WriteOrFollow(before))
        {
            return Followed();
        }

        LogEnded(logger, StoreId, CheckoutId, agreement.Id, s.Stage, s.AbortReason.Code);
        await Ended();
        return Reply<CheckoutView>.Ok(View());
    }

    public Task<CheckoutEventsPage?> GetEvents(long after)
    {
        if (!state.State.Created)
        {
            return Task.FromResult<CheckoutEventsPage?>(null);
        }

        var events = DeriveEvents();
        var latest = events.Count;
        var gap = after < 0 || after > latest || Renumbered(after, latest);
        var page = new CheckoutEventsPage(View(), latest, gap ? events : [.. events.Where(e => e.Seq > after)], gap);
        return Task.FromResult<CheckoutEventsPage?>(page);
    }

    /// <summary>
    /// True when events after <paramref name="after"/> may have been shown with other content: a checkout whose session
    /// was lost before S7 keeps only what Open and the joins wrote, then its outcome, so events a feed saw from the lost
    /// session's memory (the agreement, steps S2-S6) were numbered differently. Such a feed is answered with a reset.
    /// </summary>
    private bool Renumbered(long after, long latest)
    {
        var s = state.State;
        var durable = 1 + s.Joined.Count;
        return s.AbortReason?.Code == ProtocolError.ToWireCode(ProtocolErrorCode.CheckoutSessionLost) && after > durable && after < latest;
    }

    private static string Declined(string wallet, string agreementId) => $"wallet {wallet} accepted agreement {agreementId}";

    /// <summary>Before each write: the times and the outcome's place that the derived events need.</summary>
    private void RecordEventMarks()
    {
        var s = state.State;
        if (s.AgreementId is not null && s.AgreementAt is null)
        {
            s.AgreementAt = Timestamps.Truncate(Now);
        }

        if (s.Stage is CheckoutStage.Settled or CheckoutStage.Aborted && s.OutcomeAfterSteps is null)
        {
            s.OutcomeAfterSteps = s.Steps.Count;
            s.OutcomeAt = Timestamps.Truncate(Now);
        }
    }

    private List<CheckoutEvent> DeriveEvents()
    {
        var s = state.State;
        var events = new List<CheckoutEvent>(s.Steps.Count + s.Joined.Count + 3);
        void Add(string type, DateTimeOffset at, CheckoutStep? step = null, JoinedPayer? joined = null) =>
            events.Add(new CheckoutEvent(events.Count + 1, type, at, step, joined));

        Add(CheckoutEventTypes.Opened, s.OpenedAt);
        foreach (var joined in s.Joined)
        {
            Add(CheckoutEventTypes.Joined, joined.At, joined: joined);
        }

        if (s.AgreementId is not null)
        {
            Add(CheckoutEventTypes.Agreement, s.AgreementAt ?? s.OpenedAt);
        }

        var ended = s.Stage is CheckoutStage.Settled or CheckoutStage.Aborted;
        var outcomeAt = ended ? Math.Min(s.OutcomeAfterSteps ?? s.Steps.Count, s.Steps.Count) : -1;
        for (var i = 0; i <= s.Steps.Count; i++)
        {
            if (i == outcomeAt)
            {
                Add(CheckoutEventTypes.Outcome, s.OutcomeAt ?? (i > 0 ? s.Steps[i - 1].At : s.OpenedAt));
            }

            if (i < s.Steps.Count)
            {
                Add(CheckoutEventTypes.Step, s.Steps[i].At, s.Steps[i]);
            }
        }

        return events;
    }
}
