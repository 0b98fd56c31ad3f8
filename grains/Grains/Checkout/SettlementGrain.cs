using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Diagnostics;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Checkout;

[GenerateSerializer, Alias("osettle.SettlementState")]
public sealed class SettlementState
{
    /// <summary>The package of S7, as the checkout handed it over (bounded by the checkout's limits).</summary>
    [Id(0)]
    public SettlementStart? Start { get; set; }

    [Id(1)]
    public SettlementStage Stage { get; set; }

    /// <summary>The one decision; once written it never changes.</summary>
    [Id(2)]
    public SettlementDecision? Decision { get; set; }

    /// <summary>The acknowledgements heard: all of them when the last institution acknowledges (Completed); those heard so
    /// far at a reminder tick while a bank is late.</summary>
    [Id(3)]
    public List<BankAcknowledgement> Acknowledgements { get; set; } = [];

    /// <summary>The institutions whose signed results were in when the decision was made.</summary>
    [Id(4)]
    public List<string> VotedAtDecision { get; set; } = [];

    [Id(5)]
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>
/// The commit point of one agreement (S9), following PROTOCOL-CHOICES "All or nothing": it relays each institution's
/// signed result, persists exactly one decision (COMMIT with every institution's signed VALID result, or ABORT with the
/// INVALID result or on timeout), never changes it, and delivers it to every institution until each has acknowledged.
/// Key: the agreement id.
/// </summary>
/// <remarks>
/// <para>Calls to bank parts are one-way (Verify, Decide): bank parts call this grain (Vote, Acknowledge), never the
/// other way round with an await, so no two grains wait on each other.</para>
/// <para>Valid votes and acknowledgements are kept in memory: a bank part keeps its signed result and its S10 plan
/// durably and sends its vote or carries out its plan and acknowledges again whenever Verify or Decide (Abort) reaches it
/// again, which the timer (while active, every <see cref="CheckoutOptions.RetryPeriod"/>) and the reminder (durable,
/// every <see cref="CheckoutOptions.ReminderPeriod"/>) do for every institution not heard from. This reminder is the one
/// durable driver of an agreement: bank parts register none (ADR 0013). Durable writes: Begin 1 (plus its reminder row,
/// registered first), the decision 1, completion 1 (plus removing the reminder row); an INVALID vote writes the abort at
/// once; a reminder tick that finds the decision still being delivered records the acknowledgements heard so far.</para>
/// <para>Timeout: while no decision exists and the start's vote deadline has passed, the next tick (or vote) persists
/// ABORT with reason <see cref="VoteTimeoutReason"/> and no result. That reason is not a problem code (decision reasons
/// are free a-z/'_' strings); the checkout reports it as <c>checkout_expired</c>.</para>
/// </remarks>
public sealed partial class SettlementGrain(
    [PersistentState("settlement", StorageNames.GrainState)] IPersistentState<SettlementState> state,
    IOptions<CheckoutOptions> options,
    ILogger<SettlementGrain> logger,
    TimeProvider? timeProvider = null) : Grain, ISettlementGrain, IRemindable
{
    /// <summary>The abort reason when not every institution voted by the deadline.</summary>
    public const string VoteTimeoutReason = "vote_timeout";

    private const string ReminderName = "settlement";

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly CheckoutOptions _options = options.Value;
    private readonly Dictionary<string, string> _validVotes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BankAcknowledgement> _acknowledgements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastSent = new(StringComparer.Ordinal);
    private InstitutionDirectory? _institutions;
    private IGrainTimer? _timer;
    private bool _reminderRegistered;

    /// <summary>The reminder as this activation registered it (its tag), so that removing it needs no read first.</summary>
    private IGrainReminder? _reminder;

    private string AgreementId => this.GetPrimaryKeyString();

    private InstitutionDirectory Institutions => _institutions ??= new InstitutionDirectory(GrainFactory, _time);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var s = state.State;
        foreach (var acknowledgement in s.Acknowledgements)
        {
            _acknowledgements[acknowledgement.Institution] = acknowledgement;
        }

        if (s.Start is not null && s.Stage != SettlementStage.Completed)
        {
            StartTimer();
        }

        return base.OnActivateAsync(cancellationToken);
    }

    public Task<SettlementView?> Get() => Task.FromResult(state.State.Start is null ? null : View());

    public async Task<Reply<SettlementView>> Begin(SettlementStart start)
    {
        if (CheckStart(start) is { } invalid)
        {
            LogBeginRefused(logger, AgreementId, invalid.WireCode);
            return Reply<SettlementView>.Fail(invalid);
        }

        var s = state.State;
        if (s.Start is not null)
        {
            if (!string.Equals(s.Start.Store, start.Store, StringComparison.Ordinal) || !string.Equals(s.Start.CheckoutId, start.CheckoutId, StringComparison.Ordinal))
            {
                return Reply<SettlementView>.Fail(ProtocolErrorCode.AlreadyExists, $"agreement {AgreementId} is already being settled for another checkout.");
            }

            // A retry, maybe because registering the reminder failed the first time: make sure it exists.
            if (s.Stage != SettlementStage.Completed)
            {
                await EnsureReminder();
            }

            return Reply<SettlementView>.Ok(View());
        }

        // The reminder first: once the package is written, a durable driver re-sends Verify and Decide until every bank
        // part acknowledged (bank parts register none of their own). A reminder whose Begin was not written removes itself.
        await EnsureReminder();
        s.Start = start;
        s.Stage = SettlementStage.Collecting;
        await Persist();
        CheckoutMetrics.AgreementsInFlight.Add(1);
        LogBegun(logger, AgreementId, start.Store, start.CheckoutId, start.Institutions.Count);

        StartTimer();
        SendVerify(Pending(_validVotes.Keys), force: true);
        return Reply<SettlementView>.Ok(View());
    }

    public async Task<Reply<SettlementDecision?>> Vote(string resultJson)
    {
        var s = state.State;
        if (s.Start is null)
        {
            return Reply<SettlementDecision?>.Fail(ProtocolErrorCode.UnknownAgreement, $"agreement {AgreementId} is not being settled.");
        }

        var read = MessageText.Read(resultJson, "verificationResult", VerificationResult.Parse);
        if (!read.TryGetValue(out var result, out var unreadable))
        {
            return Reply<SettlementDecision?>.Fail(unreadable);
        }

        var vote = result.Value;
        if (!string.Equals(vote.AgreementId, AgreementId, StringComparison.Ordinal))
        {
            return Reply<SettlementDecision?>.Fail(ProtocolErrorCode.AgreementMismatch, $"the result is for agreement {vote.AgreementId}, not {AgreementId}.");
        }

        if (!s.Start.Institutions.Contains(vote.Institution, StringComparer.Ordinal))
        {
            return Reply<SettlementDecision?>.Fail(ProtocolErrorCode.NotAParticipant, $"institution '{vote.Institution}' takes no part in agreement {AgreementId}.");
        }

        var profile = await Institutions.GetProfile(vote.Institution);
        if (profile is null)
        {
            return Reply<SettlementDecision?>.Fail(ProtocolErrorCode.UnknownInstitution, $"institution '{vote.Institution}' does not exist.");
        }

        if (!Institutions.MessagingKey(profile, vote.InstitutionKeyId).TryGetValue(out var key, out var unknownKey))
        {
            return Reply<SettlementDecision?>.Fail(unknownKey);
        }

        if (result.VerifySignature(key, Purposes.VerificationResult) is { } badSignature)
        {
            LogVoteRefused(logger, AgreementId, vote.Institution, badSignature.WireCode);
            return Reply<SettlementDecision?>.Fail(badSignature.Code, $"the result of '{vote.Institution}': {badSignature.Detail}");
        }

        if (s.Decision is not null)
        {
            return Reply<SettlementDecision?>.Ok(s.Decision);
        }

        if (TimedOut())
        {
            return Reply<SettlementDecision?>.Ok(await Decide(DecisionKind.Abort, [], VoteTimeoutReason));
        }

        var json = result.ToCanonicalString();
        LogVote(logger, AgreementId, vote.Institution, vote.Verdict == Verdict.Valid ? "valid" : vote.Reason ?? "invalid");
        if (vote.Verdict == Verdict.Invalid)
        {
            return Reply<SettlementDecision?>.Ok(await Decide(DecisionKind.Abort, [json], vote.Reason, vote.Institution));
        }

        _validVotes[vote.Institution] = json;
        if (s.Start.Institutions.All(_validVotes.ContainsKey))
        {
            return Reply<SettlementDecision?>.Ok(await Decide(DecisionKind.Commit, [.. s.Start.Institutions.Select(i => _validVotes[i])], null));
        }

        return Reply<SettlementDecision?>.Ok(null);
    }

    public async Task Acknowledge(BankAcknowledgement acknowledgement)
    {
        var s = state.State;
        if (acknowledgement is null || s.Start is null || s.Decision is null
            || !s.Start.Institutions.Contains(acknowledgement.Institution, StringComparer.Ordinal)
            || acknowledgement.Kind != s.Decision.Kind)
        {
            LogAcknowledgementIgnored(logger, AgreementId, acknowledgement?.Institution ?? "", s.Decision is null ? "no decision yet" : "not of this decision");
            return;
        }

        if (s.Stage == SettlementStage.Completed || !_acknowledgements.TryAdd(acknowledgement.Institution, acknowledgement))
        {
            return;
        }

        LogAcknowledged(logger, AgreementId, acknowledgement.Institution, _acknowledgements.Count, s.Start.Institutions.Count);
        if (s.Start.Institutions.All(_acknowledgements.ContainsKey))
        {
            await Complete();
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Start is null)
        {
            await UnregisterReminder();
            return;
        }

        await Tick();
        await RecordAcknowledgementsAsync();
    }

    /// <summary>
    /// While the decision is still being delivered at a reminder tick (a bank is late), records the acknowledgements heard
    /// so far, so that a reactivation sends the decision again only to the banks that owe one. A bank that finished its S10
    /// thus runs it again at most until this write. Never on the normal path, which completes within seconds of the
    /// decision.
    /// </summary>
    private async Task RecordAcknowledgementsAsync()
    {
        var s = state.State;
        if (s.Stage is SettlementStage.Committed or SettlementStage.Aborted && _acknowledgements.Count > s.Acknowledgements.Count)
        {
            s.Acknowledgements = [.. s.Start!.Institutions.Where(_acknowledgements.ContainsKey).Select(i => _acknowledgements[i])];
            await Persist();
        }
    }

    /// <summary>The timer's and the reminder's work: abort on timeout, re-send what may have been lost, complete.</summary>
    private async Task Tick()
    {
        var s = state.State;
        using var step = CheckoutTelemetry.Step(Steps.Tick, s.Start?.TraceParent);
        switch (s.Stage)
        {
            case SettlementStage.Collecting when TimedOut():
                await Decide(DecisionKind.Abort, [], VoteTimeoutReason);
                break;
            case SettlementStage.Collecting when s.Start!.Institutions.All(_validVotes.ContainsKey):
                // Every VALID vote is in but writing the decision failed: no bank sends its vote again on its own.
                await Decide(DecisionKind.Commit, [.. s.Start.Institutions.Select(i => _validVotes[i])], null);
                break;
            case SettlementStage.Collecting:
                SendVerify(Pending(_validVotes.Keys), force: false);
                break;
            case SettlementStage.Committed or SettlementStage.Aborted when s.Start!.Institutions.All(_acknowledgements.ContainsKey):
                // Every bank acknowledged but writing the completion failed: no bank acknowledges again on its own.
                await Complete();
                break;
            case SettlementStage.Committed or SettlementStage.Aborted:
                SendDecide(Pending(_acknowledgements.Keys), force: false);
                break;
            case SettlementStage.Completed:
                StopTimer();
                TellCheckout();
                TellPayeeAccount();
                await UnregisterReminder();
                break;
            default:
                break;
        }
    }

    /// <summary>Persists the one decision, then delivers it to every institution and tells the checkout.</summary>
    private async Task<SettlementDecision> Decide(DecisionKind kind, IReadOnlyList<string> results, string? reason, string? invalidVoter = null)
    {
        var s = state.State;
        var decision = new SettlementDecision(AgreementId, kind, results, reason, Timestamps.Truncate(_time.GetUtcNow()));
        var (stage, voted) = (s.Stage, s.VotedAtDecision);
        s.Decision = decision;
        s.Stage = kind == DecisionKind.Commit ? SettlementStage.Committed : SettlementStage.Aborted;
        s.VotedAtDecision = [.. _validVotes.Keys.Append(invalidVoter).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        try
        {
            await Persist();
        }
        catch when (ReferenceEquals(state.State.Decision, decision))
        {
            // The write failed and so did the read-back (a read-back replaces the state): the activation is being dropped,
            // and until it goes nothing may answer from a decision nobody knows is stored (a note reads it, ADR 0019).
            // Should the write have landed after all, the row keeps the decision and this activation's next write, from
            // the old ETag, fails.
            (s.Decision, s.Stage, s.VotedAtDecision) = (null, stage, voted);
            throw;
        }

        LogDecided(logger, AgreementId, kind, reason ?? "");
        SendDecide(s.Start!.Institutions, force: true);
        TellCheckout();
        return decision;
    }

    private async Task Complete()
    {
        var s = state.State;
        s.Acknowledgements = [.. s.Start!.Institutions.Select(i => _acknowledgements[i])];
        s.Stage = SettlementStage.Completed;
        s.CompletedAt = Timestamps.Truncate(_time.GetUtcNow());
        await Persist();
        CheckoutMetrics.AgreementsInFlight.Add(-1);
        LogCompleted(logger, AgreementId, s.Decision!.Kind);
        StopTimer();
        TellCheckout();
        TellPayeeAccount();
        await UnregisterReminder();
    }

    private void SendVerify(IEnumerable<string> institutions, bool force)
    {
        foreach (var institution in Due(institutions, force))
        {
            var request = PackageFor(institution);
            Send(institution, "Verify", part => part.Verify(request));
        }
    }

    /// <summary>Delivers the decision; an ABORT carries the institution's package again, whose serials it releases (a
    /// bank part persists nothing before its holds).</summary>
    private void SendDecide(IEnumerable<string> institutions, bool force)
    {
        var decision = state.State.Decision!;
        foreach (var institution in Due(institutions, force))
        {
            if (decision.Kind == DecisionKind.Abort)
            {
                var package = PackageFor(institution);
                Send(institution, "Abort", part => part.Abort(decision, package));
            }
            else
            {
                Send(institution, "Decide", part => part.Decide(decision));
            }
        }
    }

    /// <summary>What one institution verifies at S8: the agreement and the payers that bank with it.</summary>
    private VerifyRequest PackageFor(string institution)
    {
        var start = state.State.Start!;
        var payers = start.Payers.Where(p => string.Equals(p.Institution, institution, StringComparison.Ordinal)).ToList();
        return new VerifyRequest(start.AgreementId, start.AgreementJson, start.Store, payers, start.Institutions) { TraceParent = start.TraceParent };
    }

    /// <summary>A one-way call to a bank part: it returns at once and never waits for the bank.</summary>
    private void Send(string institution, string what, Func<IBankAgreementGrain, Task> call)
    {
        try
        {
            _ = call(GrainFactory.GetGrain<IBankAgreementGrain>(GrainKeys.BankAgreement(institution, AgreementId)));
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogSendFailed(logger, exception, AgreementId, institution, what);
        }
    }

    /// <summary>The institutions to send to now: all when forced, otherwise those not sent to within the retry period.</summary>
    private List<string> Due(IEnumerable<string> institutions, bool force)
    {
        var now = _time.GetUtcNow();
        var due = new List<string>();
        foreach (var institution in institutions)
        {
            if (force || !_lastSent.TryGetValue(institution, out var last) || now - last >= _options.RetryPeriod)
            {
                _lastSent[institution] = now;
                due.Add(institution);
            }
        }

        return due;
    }

    private IEnumerable<string> Pending(IEnumerable<string> heard)
    {
        var done = heard.ToHashSet(StringComparer.Ordinal);
        return state.State.Start!.Institutions.Where(i => !done.Contains(i)).ToList();
    }

    private bool TimedOut() =>
        state.State is { Stage: SettlementStage.Collecting, Decision: null, Start: { } start } && _time.GetUtcNow() >= start.VoteDeadline;

    private void TellCheckout()
    {
        var start = state.State.Start!;
        _ = GrainFactory.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(start.Store, start.CheckoutId)).OnOutcome(View());
    }

    /// <summary>After a durable COMMIT completion no bank part credits this agreement again: the payee account may forget
    /// the credit after its grace (one-way, ADR 0020; the account asks this grain itself when the call is lost).</summary>
    private void TellPayeeAccount()
    {
        var s = state.State;
        if (s is not { Stage: SettlementStage.Completed, Decision.Kind: DecisionKind.Commit, Start: { } start }
            || !MessageText.Read(start.AgreementJson, "agreement", Agreement.Parse).TryGetValue(out var agreement, out _))
        {
            return;
        }

        try
        {
            var payee = agreement.Value.Payee;
            _ = GrainFactory.GetGrain<IAccountGrain>(GrainKeys.Account(payee.Institution, payee.Account)).CreditSettled(AgreementId);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogSendFailed(logger, exception, AgreementId, agreement.Value.Payee.Institution, "CreditSettled");
        }
    }

    private void StartTimer() => _timer ??= this.RegisterGrainTimer(Tick, _options.RetryPeriod, _options.RetryPeriod);

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private async Task EnsureReminder()
    {
        if (!_reminderRegistered)
        {
            _reminder = await this.RegisterOrUpdateReminder(ReminderName, _options.ReminderPeriod, _options.ReminderPeriod);
            _reminderRegistered = true;
        }
    }

    /// <summary>Removes the reminder: by the handle this activation registered it with when it has one (no read of the
    /// reminder table first), else, or when that handle's tag is stale, by the one the table holds.</summary>
    private async Task UnregisterReminder()
    {
        _reminderRegistered = false;
        var registered = _reminder;
        _reminder = null;
        if (registered is not null)
        {
            try
            {
                await this.UnregisterReminder(registered);
                return;
            }
            catch (ReminderException)
            {
                // Changed since this activation registered it: remove the one the table holds.
            }
        }

        var reminder = await this.GetReminder(ReminderName);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    /// <summary>The package must be for this agreement and name exactly the institutions the agreement fixes.</summary>
    private ProtocolError? CheckStart(SettlementStart? start)
    {
        if (start?.Payers is null || start.Institutions is null || start.AgreementJson is null)
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, "the settlement start is incomplete.");
        }

        if (!string.Equals(start.AgreementId, AgreementId, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.AgreementMismatch, $"the start is for agreement {start.AgreementId}, not {AgreementId}.");
        }

        var read = MessageText.Read(start.AgreementJson, "agreement", Agreement.Parse);
        if (!read.TryGetValue(out var agreement, out var unreadable))
        {
            return unreadable;
        }

        if (!string.Equals(agreement.Id, AgreementId, StringComparison.Ordinal) || !string.Equals(agreement.Value.Store, start.Store, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.AgreementMismatch, $"the agreement given is not agreement {AgreementId} of store '{start.Store}'.");
        }

        var expected = agreement.Value.Participants.Select(p => p.Institution).Append(agreement.Value.Payee.Institution)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        if (!expected.SequenceEqual(start.Institutions, StringComparer.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, "the institutions must be every payer's and the payee's institution of the agreement, sorted.");
        }

        var payers = start.Payers.Select(p => (p.Wallet, p.Institution));
        var participants = agreement.Value.Participants.Select(p => (p.Wallet, p.Institution));
        return payers.SequenceEqual(participants)
            ? null
            : new ProtocolError(ProtocolErrorCode.InvalidField, "the package must hold one payer per participant, in the agreement's order, at its institution.");
    }

    private SettlementView View()
    {
        var s = state.State;
        var start = s.Start!;
        IReadOnlyList<string> voted = s.Decision is null
            ? [.. _validVotes.Keys.Order(StringComparer.Ordinal)]
            : s.VotedAtDecision;
        IReadOnlyList<BankAcknowledgement> acknowledgements = s.Stage == SettlementStage.Completed
            ? s.Acknowledgements
            : [.. start.Institutions.Where(_acknowledgements.ContainsKey).Select(i => _acknowledgements[i])];
        return new SettlementView(AgreementId, start.Store, start.CheckoutId, s.Stage, start.Institutions, voted, s.Decision, acknowledgements) { CompletedAt = s.CompletedAt };
    }

    /// <summary>Writes the state (see <see cref="DurableState.WriteOrReloadAsync{T}"/>).</summary>
    private async Task Persist()
    {
        await state.WriteOrReloadAsync(this);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Settlement {AgreementId} begun for checkout {Store}/{CheckoutId} with {Institutions} institutions")]
    private static partial void LogBegun(ILogger logger, string agreementId, string store, string checkoutId, int institutions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement {AgreementId}: begin refused with {Code}")]
    private static partial void LogBeginRefused(ILogger logger, string agreementId, string code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Settlement {AgreementId}: {Institution} voted {Verdict}")]
    private static partial void LogVote(ILogger logger, string agreementId, string institution, string verdict);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement {AgreementId}: result of {Institution} refused with {Code}")]
    private static partial void LogVoteRefused(ILogger logger, string agreementId, string institution, string code);

    [LoggerMessage(Level = LogLevel.Information, Message = "Settlement {AgreementId}: decided {Kind} {Reason}")]
    private static partial void LogDecided(ILogger logger, string agreementId, DecisionKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Settlement {AgreementId}: {Institution} acknowledged ({Count} of {Total})")]
    private static partial void LogAcknowledged(ILogger logger, string agreementId, string institution, int count, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement {AgreementId}: acknowledgement of {Institution} ignored: {Reason}")]
    private static partial void LogAcknowledgementIgnored(ILogger logger, string agreementId, string institution, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Settlement {AgreementId}: completed ({Kind})")]
    private static partial void LogCompleted(ILogger logger, string agreementId, DecisionKind kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settlement {AgreementId}: {What} to {Institution} could not be sent")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string agreementId, string institution, string what);
}
