using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Diagnostics;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// One institution's part in one agreement (key <see cref="GrainKeys.BankAgreement"/>): S8 (verify again, hold the
/// notes, fix the whole S10 plan), S9 (sign and send the result to the settlement grain) and S10 (on a COMMIT it verified
/// itself: mint change, credit, from the plan persisted with its VALID result; the held notes are spent by the COMMIT
/// itself (ADR 0019); on an ABORT: release).
/// </summary>
/// <remarks>
/// <para>Durable writes (ADR 0013). Verify: 1 (the signed result, with the holds and the whole S10 plan when VALID), plus
/// one per note held at its <see cref="NoteGrain"/>; nothing is written before the holds (an abort carries the package,
/// whose serials it releases). Decide(commit): none of its own, plus one per change note (and its delivery to the wallet)
/// and the credit at the payee account; none at the notes, which the COMMIT spends (ADR 0019). Decide(abort) or Abort: 1, plus one per note released.
/// No reminder of its own.</para>
/// <para>It never releases holds on a timer of its own: only an ABORT releases. After a COMMIT it carries out the persisted
/// plan, idempotently, until done: a grain timer retries while the activation lives, and the settlement grain's Decide,
/// which its reminder sends again until this part acknowledges, covers deactivation and silo loss. That a part finished
/// is recorded by the settlement grain's completion, not here. It never awaits a grain that awaits it: the settlement
/// grain calls it one-way, and it calls the settlement grain.</para>
/// </remarks>
public sealed partial class BankAgreementGrain : Grain, IBankAgreementGrain, IRemindable
{
    private const string RetryReminder = "s10-retry";

    private readonly IPersistentState<BankAgreementState> _state;
    private readonly ILogger<BankAgreementGrain> _logger;
    private readonly Dictionary<string, string> _changeNotes = new(StringComparer.Ordinal);
    private RetryLoop? _retry;
    private bool _voteUnsent;

    /// <summary>The COMMIT this activation verified (held in memory only: the settlement grain keeps it durably and sends
    /// it again until this part acknowledges).</summary>
    private SettlementDecision? _commit;

    /// <summary>Every effect of the plan is done (this activation carried S10 out); a later Decide only acknowledges.</summary>
    private bool _settled;

    public BankAgreementGrain(
        [PersistentState("bankAgreement", StorageNames.GrainState)] IPersistentState<BankAgreementState> state,
        ILogger<BankAgreementGrain> logger)
    {
        _state = state;
        _logger = logger;
    }

    private BankAgreementState State => _state.State;

    private string Institution => GrainKeys.Split(this.GetPrimaryKeyString()).First;

    private string AgreementId => GrainKeys.Split(this.GetPrimaryKeyString()).Second;

    private RetryLoop Retry => _retry ??= new RetryLoop(this, RetryReminder, BankingServices.Options(ServiceProvider), RetryAsync, _logger);

    public async Task Verify(VerifyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var step = CheckoutTelemetry.Step(Steps.S8, request.TraceParent ?? State.TraceParent).Tag(CheckoutTelemetry.InstitutionAttribute, Institution);
        try
        {
            await VerifyCoreAsync(request).ConfigureAwait(true);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // One-way: nobody awaits this call. The state says what is left, and the retries finish it.
            LogStepFailed(_logger, exception, "verify", Institution, AgreementId);
        }
    }

    public async Task Decide(SettlementDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        try
        {
            await DecideCoreAsync(decision).ConfigureAwait(true);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // One-way: nobody awaits this call. The state says what is left, and the retries finish it.
            LogStepFailed(_logger, exception, "decide", Institution, AgreementId);
        }
    }

    public async Task Abort(SettlementDecision decision, VerifyRequest package)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(package);
        using var step = CheckoutTelemetry.Step(Steps.S10, State.TraceParent ?? package.TraceParent).Tag(CheckoutTelemetry.InstitutionAttribute, Institution);
        try
        {
            if (decision.Kind != DecisionKind.Abort || !string.Equals(decision.AgreementId, AgreementId, StringComparison.Ordinal)
                || !string.Equals(package.AgreementId, AgreementId, StringComparison.Ordinal))
            {
                LogWrongAgreement(_logger, Institution, AgreementId, decision.AgreementId);
                return;
            }

            await AbortAsync(decision, BankAgreementChecks.PackageSerials(Institution, package)).ConfigureAwait(true);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // One-way: nobody awaits this call. The settlement grain sends the abort again until this part acknowledges.
            LogStepFailed(_logger, exception, "abort", Institution, AgreementId);
        }
    }

    public Task<BankPartView> Get() => Task.FromResult(new BankPartView(
        Institution,
        AgreementId,
        _settled ? BankPartStage.Settled : _commit is not null ? BankPartStage.Settling : State.Stage switch
        {
            BankPartProgress.VotedValid => BankPartStage.VotedValid,
            BankPartProgress.VotedInvalid => BankPartStage.VotedInvalid,
            BankPartProgress.Settling => BankPartStage.Settling,
            BankPartProgress.Settled => BankPartStage.Settled,
            BankPartProgress.Released => BankPartStage.Released,
            _ => BankPartStage.None,
        },
        State.ResultJson,
        State.Changes.Select(ChangeNote).OfType<string>().ToList()));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (string.Equals(reminderName, RetryReminder, StringComparison.Ordinal))
        {
            // Only rows registered before the settlement grain's reminder became the one durable driver: finish, then remove.
            await RetryAsync().ConfigureAwait(true);
            await Retry.DisarmAsync().ConfigureAwait(true);
        }
    }

    // ---- S8 and S9 -------------------------------------------------------------------------------------------

    private async Task VerifyCoreAsync(VerifyRequest request)
    {
        if (!string.Equals(request.AgreementId, AgreementId, StringComparison.Ordinal))
        {
            LogWrongAgreement(_logger, Institution, AgreementId, request.AgreementId);
            return;
        }

        State.TraceParent ??= request.TraceParent;
        switch (State.Stage)
        {
            case BankPartProgress.VotedValid or BankPartProgress.VotedInvalid or BankPartProgress.Settling or BankPartProgress.Settled:
                await SendVoteAsync().ConfigureAwait(true);
                return;
            case BankPartProgress.Released:
                // Decided already (an abort, maybe before this request arrived): nothing may be held any more.
                LogLateVerify(_logger, Institution, AgreementId);
                return;
        }

        var now = Now();
        var findings = await BankAgreementChecks.VerifyAsync(Institution, AgreementId, request, now, Lookups).ConfigureAwait(true);
        if (!findings.IsOk)
        {
            await VoteInvalidAsync(findings.Error, [], request).ConfigureAwait(true);
            return;
        }

        // The S10 plan is fixed now and written with the VALID result, so that a commit needs no write here. Minting change
        // needs an active note key: without one this bank cannot settle, so it says so before VALID.
        var found = findings.Value;
        var kid = BankAgreementPlan.NeedsChange(found.Payers) ? await Signer().GetActiveNoteKeyId().ConfigureAwait(true) : null;
        if (BankAgreementPlan.NeedsChange(found.Payers) && kid is null)
        {
            await VoteInvalidAsync(new ProtocolError(ProtocolErrorCode.UnknownKey, $"institution '{Institution}' has no active note key to mint change."), [], request).ConfigureAwait(true);
            return;
        }

        var plan = BankAgreementPlan.Fix(Institution, found.Payers, found.Shares, found.PayeeInstitution, found.Currency, found.TotalMinor, kid, Timestamps.Truncate(now), BankingServices.Options(ServiceProvider).NoteLifetime);

        // No write before the holds: if this part stops between its holds and its vote, no COMMIT can exist without that
        // vote, so the settlement grain either gets it from a re-sent Verify or aborts on timeout, and its abort carries
        // the package whose serials this part then releases (Abort).
        var serials = found.Serials;
        var holds = await Task.WhenAll(serials.Select(s => Note(s).Hold(AgreementId))).ConfigureAwait(true);
        if (holds.FirstOrDefault(h => !h.IsOk) is { } refused)
        {
            var held = serials.Where((_, i) => holds[i].IsOk).ToList();
            await VoteInvalidAsync(refused.Refusal!.ToError(), held, request).ConfigureAwait(true);
            return;
        }

        var result = await Signer().SignResult(new ResultDraft(AgreementId, Valid: true, Reason: null, now)).ConfigureAwait(true);
        State.Stage = BankPartProgress.VotedValid;
        State.Store = found.Store;
        State.Currency = found.Currency;
        State.TotalMinor = found.TotalMinor;
        State.PayeeInstitution = found.PayeeInstitution;
        State.PayeeAccount = found.PayeeAccount;
        State.Institutions = found.Institutions;
        State.Shares = found.Shares;
        State.Payers = found.Payers;
        State.Serials = State.Serials.Union(serials, StringComparer.Ordinal).ToList();
        State.ResultJson = result;
        State.InvalidReason = null;
        State.Changes = plan.Changes;
        State.CreditMinor = plan.CreditMinor;
        State.Positions = plan.Positions;
        State.Planned = true;
        await WriteAsync().ConfigureAwait(true);
        LogVoted(_logger, Institution, AgreementId, "valid", "none", serials.Count);
        LogPlanned(_logger, Institution, AgreementId, serials.Count, plan.Changes.Count, plan.CreditMinor);
        await SendVoteAsync().ConfigureAwait(true);
    }

    /// <summary>Releases whatever this agreement may hold (<paramref name="held"/>: the serials this turn held), then
    /// persists and sends an INVALID result. The package's serials stay recorded, so that the abort that follows releases
    /// each of them again: a note whose hold was refused (held by another agreement) is then marked released for this
    /// agreement, and a late copy of that hold cannot take it once the other agreement lets it go (found by settle chaos).</summary>
    private async Task VoteInvalidAsync(ProtocolError error, IReadOnlyCollection<string> held, VerifyRequest request)
    {
        await ReleaseAsync(State.Serials.Union(held, StringComparer.Ordinal).ToList()).ConfigureAwait(true);
        var result = await Signer().SignResult(new ResultDraft(AgreementId, Valid: false, error.WireCode, Now())).ConfigureAwait(true);
        State.Stage = BankPartProgress.VotedInvalid;
        State.ResultJson = result;
        State.InvalidReason = error.WireCode;
        State.Serials = State.Serials.Union(BankAgreementChecks.PackageSerials(Institution, request), StringComparer.Ordinal).ToList();
        await WriteAsync().ConfigureAwait(true);
        LogVoted(_logger, Institution, AgreementId, "invalid", error.WireCode, 0);
        await SendVoteAsync().ConfigureAwait(true);
    }

    /// <summary>S9: the persisted result to the settlement grain; a decision it already knows is carried out at once.</summary>
    private async Task SendVoteAsync()
    {
        if (State.ResultJson is null)
        {
            return;
        }

        using var step = CheckoutTelemetry.Step(Steps.S9, State.TraceParent).Tag(CheckoutTelemetry.InstitutionAttribute, Institution);
        Reply<SettlementDecision?> reply;
        try
        {
            reply = await GrainFactory.GetGrain<ISettlementGrain>(AgreementId).Vote(State.ResultJson).ConfigureAwait(true);
        }
        catch
        {
            _voteUnsent = true;
            Retry.StartTimer();
            throw;
        }

        _voteUnsent = false;
        if (!reply.IsOk)
        {
            LogVoteRefused(_logger, Institution, AgreementId, reply.Refusal!.Code);
            return;
        }

        if (reply.Value is { } decision)
        {
            await DecideCoreAsync(decision).ConfigureAwait(true);
        }
    }

    // ---- S10 -------------------------------------------------------------------------------------------------

    private async Task DecideCoreAsync(SettlementDecision decision)
    {
        using var step = CheckoutTelemetry.Step(Steps.S10, State.TraceParent).Tag(CheckoutTelemetry.InstitutionAttribute, Institution);
        if (!string.Equals(decision.AgreementId, AgreementId, StringComparison.Ordinal))
        {
            LogWrongAgreement(_logger, Institution, AgreementId, decision.AgreementId);
            return;
        }

        if (decision.Kind == DecisionKind.Abort)
        {
            await AbortAsync(decision, []).ConfigureAwait(true);
        }
        else
        {
            await CommitAsync(decision).ConfigureAwait(true);
        }
    }

    /// <summary>Releases the persisted serials, and those of <paramref name="packageSerials"/> when this part persisted no
    /// vote (it may have stopped between its holds and its vote), records the abort and acknowledges it.</summary>
    private async Task AbortAsync(SettlementDecision decision, IReadOnlyCollection<string> packageSerials)
    {
        if (_commit is not null || State.Stage is BankPartProgress.Settling or BankPartProgress.Settled)
        {
            // A COMMIT is never undone (the settlement grain persists one decision, so none can follow it).
            LogAbortAfterCommit(_logger, Institution, AgreementId);
            return;
        }

        var unrecorded = State.Stage is BankPartProgress.None or BankPartProgress.Verifying ? packageSerials : [];
        await ReleaseAsync(State.Serials.Union(unrecorded, StringComparer.Ordinal).ToList()).ConfigureAwait(true);
        if (State.Stage != BankPartProgress.Released)
        {
            State.Stage = BankPartProgress.Released;
            State.Decision = DecisionKind.Abort;
            State.DecidedAt = decision.DecidedAt;
            State.FinishedAt = Timestamps.Truncate(Now());
            await WriteAsync().ConfigureAwait(true);
            LogReleased(_logger, Institution, AgreementId, State.Serials.Count, decision.AbortReason ?? "none");
        }

        await Settlement().Acknowledge(new BankAcknowledgement(Institution, DecisionKind.Abort, [])).ConfigureAwait(true);
    }

    private async Task CommitAsync(SettlementDecision decision)
    {
        if (_settled || State.Stage == BankPartProgress.Settled)
        {
            await AcknowledgeCommitAsync().ConfigureAwait(true);
            return;
        }

        switch (State.Stage)
        {
            case BankPartProgress.Settling:
                // A row of before ADR 0013: its plan was written after this bank verified the commit.
                break;
            case BankPartProgress.VotedValid when _commit is not null:
                break;
            case BankPartProgress.VotedValid:
                if (await BankAgreementChecks.VerifyCommitAsync(AgreementId, State.Institutions, decision, Lookups).ConfigureAwait(true) is { } problem)
                {
                    // An invalid commit never moves money: keep the holds, settle nothing.
                    LogCommitRefused(_logger, Institution, AgreementId, problem.WireCode, problem.Detail);
                    return;
                }

                if (!State.Planned)
                {
                    await PlanAtCommitAsync().ConfigureAwait(true);
                }

                break;
            default:
                if (await _state.RefreshAsync().ConfigureAwait(true) && State.Stage is BankPartProgress.VotedValid or BankPartProgress.Settling or BankPartProgress.Settled)
                {
                    // This activation's memory was stale (a second activation after a silo loss): decide from the row.
                    await CommitAsync(decision).ConfigureAwait(true);
                    return;
                }

                // Without this bank's own persisted VALID vote no genuine commit can exist.
                LogCommitRefused(_logger, Institution, AgreementId, "not_voted_valid", $"this bank's part is at stage {State.Stage}, not VotedValid");
                return;
        }

        _commit = decision;
        await SettleOrRetryAsync().ConfigureAwait(true);
    }

    /// <summary>A VotedValid row written before ADR 0013 has no plan: fix it and write it before any effect.</summary>
    private async Task PlanAtCommitAsync()
    {
        var kid = BankAgreementPlan.NeedsChange(State.Payers) ? await Signer().GetActiveNoteKeyId().ConfigureAwait(true) : null;
        var plan = BankAgreementPlan.Fix(Institution, State.Payers, State.Shares, State.PayeeInstitution, State.Currency, State.TotalMinor, kid, Timestamps.Truncate(Now()), BankingServices.Options(ServiceProvider).NoteLifetime);
        State.Changes = plan.Changes;
        State.CreditMinor = plan.CreditMinor;
        State.Positions = plan.Positions;
        State.Planned = true;
        await WriteAsync().ConfigureAwait(true);
        LogPlanned(_logger, Institution, AgreementId, State.Serials.Count, plan.Changes.Count, plan.CreditMinor);
    }

    private async Task SettleOrRetryAsync()
    {
        try
        {
            await SettleAsync().ConfigureAwait(true);
        }
        catch
        {
            Retry.StartTimer();
            throw;
        }
    }

    /// <summary>Carries out the persisted plan; every step is idempotent, so a retry (this activation's timer, or the
    /// settlement grain's Decide, sent again until this part acknowledges) repeats it from the start. Nothing is written
    /// here: the settlement grain's completion records that every part acknowledged. The plan's serials need no call: each
    /// is held by this agreement, and the COMMIT, persisted once by the settlement grain, spends them (ADR 0019).</summary>
    private async Task SettleAsync()
    {
        if (State.Changes.Count > 0)
        {
            var drafts = State.Changes
                .Select(c => new NoteDraft(c.Serial, c.Kid, State.Currency, c.AmountMinor, c.Holder, c.IssuedAt, c.ExpiresAt))
                .ToList();
            var signed = await Signer().SignNotes(drafts).ConfigureAwait(true);
            var issued = await Task.WhenAll(signed.Select((json, i) => Note(drafts[i].Serial).Issue(json))).ConfigureAwait(true);
            for (var i = 0; i < issued.Length; i++)
            {
                if (!issued[i].IsOk)
                {
                    LogSettleStepRefused(_logger, Institution, AgreementId, "issue_change", issued[i].Refusal!.Code);
                    throw new InvalidOperationException($"change note {drafts[i].Serial} cannot be issued: {issued[i].Refusal!.Code}");
                }

                // The note grain answers with the text it issued first, whatever a retry signed.
                _changeNotes[drafts[i].Serial] = issued[i].Value!.NoteJson;
            }

            foreach (var group in State.Changes.GroupBy(c => c.Holder, StringComparer.Ordinal))
            {
                await GrainFactory.GetGrain<IWalletGrain>(group.Key).ReceiveNotes(group.Select(c => ChangeNote(c)!).ToList()).ConfigureAwait(true);
            }
        }

        if (State.CreditMinor > 0)
        {
            // Idempotent by agreement id: the account remembers the credit until this settlement completed (ADR 0020).
            var credited = await PayeeAccount().ApplyCredit(AgreementId, State.CreditMinor).ConfigureAwait(true);
            if (!credited.IsOk)
            {
                LogSettleStepRefused(_logger, Institution, AgreementId, "credit", credited.Refusal!.Code);
                throw new InvalidOperationException($"the payee account cannot be credited for agreement {AgreementId}: {credited.Refusal!.Code}");
            }
        }

        _settled = true;
        Retry.StopTimer();
        LogSettled(_logger, Institution, AgreementId, State.Serials.Count, State.Changes.Count, State.CreditMinor);
        await AcknowledgeCommitAsync().ConfigureAwait(true);
    }

    /// <summary>Once every effect is done: the settlement grain hears of it (idempotent; it records completion).</summary>
    private async Task AcknowledgeCommitAsync()
    {
        var lines = State.Payers.Select(p =>
        {
            var change = State.Changes.Where(c => string.Equals(c.Wallet, p.Wallet, StringComparison.Ordinal)).ToList();
            return new ReceiptLine(p.Wallet, Institution, p.ShareMinor, change.Sum(c => c.AmountMinor), change.Select(c => ChangeNote(c)!).ToList());
        }).ToList();
        await Settlement().Acknowledge(new BankAcknowledgement(Institution, DecisionKind.Commit, lines)).ConfigureAwait(true);
    }

    /// <summary>The issued text of a planned change note: from this activation's S10, or from a row of before ADR 0013.</summary>
    private string? ChangeNote(ChangePlan change) => change.NoteJson ?? _changeNotes.GetValueOrDefault(change.Serial);

    /// <summary>The timer's and the reminder's work: finish S10, or re-send a vote that was lost.</summary>
    private async Task RetryAsync()
    {
        using var step = CheckoutTelemetry.Step(Steps.Tick, State.TraceParent).Tag(CheckoutTelemetry.InstitutionAttribute, Institution);
        if (!_settled && (_commit is not null || State.Stage == BankPartProgress.Settling))
        {
            await SettleAsync().ConfigureAwait(true);
            return;
        }

        if (_voteUnsent && State.Stage is BankPartProgress.VotedValid or BankPartProgress.VotedInvalid)
        {
            await SendVoteAsync().ConfigureAwait(true);
        }

        if (!_voteUnsent)
        {
            Retry.StopTimer();
        }
    }

    private async Task ReleaseAsync(IReadOnlyCollection<string> serials)
    {
        var released = await Task.WhenAll(serials.Select(s => Note(s).Release(AgreementId))).ConfigureAwait(true);
        if (released.FirstOrDefault(r => !r.IsOk && r.Refusal!.ErrorCode != ProtocolErrorCode.UnknownNote) is { } refused)
        {
            throw new InvalidOperationException($"a note of agreement {AgreementId} could not be released: {refused.Refusal!.Code}");
        }
    }

    // ---- lookups ---------------------------------------------------------------------------------------------

    private SiloBankPartLookups Lookups => new(GrainFactory, ServiceProvider);

    private IInstitutionSignerGrain Signer() => GrainFactory.GetGrain<IInstitutionSignerGrain>(Institution);

    private ISettlementGrain Settlement() => GrainFactory.GetGrain<ISettlementGrain>(AgreementId);

    private INoteGrain Note(string serial) => GrainFactory.GetGrain<INoteGrain>(GrainKeys.Note(Institution, serial));

    private IAccountGrain PayeeAccount() => GrainFactory.GetGrain<IAccountGrain>(GrainKeys.Account(Institution, State.PayeeAccount));

    private DateTimeOffset Now() => BankingServices.Clock(ServiceProvider).GetUtcNow();

    private async Task WriteAsync()
    {
        await _state.WriteOrReloadAsync(this).ConfigureAwait(true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bank part {Institution}/{AgreementId} voted {Verdict} (reason {Reason}), holding {NoteCount} notes")]
    private static partial void LogVoted(ILogger logger, string institution, string agreementId, string verdict, string reason, int noteCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bank part {Institution}/{AgreementId}: the settlement grain refused the vote ({Code})")]
    private static partial void LogVoteRefused(ILogger logger, string institution, string agreementId, string code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bank part {Institution}/{AgreementId} got a message for agreement {OtherAgreementId}; ignored")]
    private static partial void LogWrongAgreement(ILogger logger, string institution, string agreementId, string otherAgreementId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bank part {Institution}/{AgreementId}: verify after the abort; ignored")]
    private static partial void LogLateVerify(ILogger logger, string institution, string agreementId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bank part {Institution}/{AgreementId}: abort after commit ignored (a commit is never undone)")]
    private static partial void LogAbortAfterCommit(ILogger logger, string institution, string agreementId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bank part {Institution}/{AgreementId}: commit NOT settled ({Code}): {Detail}; the holds stay")]
    private static partial void LogCommitRefused(ILogger logger, string institution, string agreementId, string code, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bank part {Institution}/{AgreementId}: released {NoteCount} notes on abort ({Reason})")]
    private static partial void LogReleased(ILogger logger, string institution, string agreementId, int noteCount, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bank part {Institution}/{AgreementId}: S10 plan persisted: spend {NoteCount} notes, {ChangeCount} change notes, credit {CreditMinor}")]
    private static partial void LogPlanned(ILogger logger, string institution, string agreementId, int noteCount, int changeCount, long creditMinor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bank part {Institution}/{AgreementId} settled: {NoteCount} notes spent, {ChangeCount} change notes, credit {CreditMinor}")]
    private static partial void LogSettled(ILogger logger, string institution, string agreementId, int noteCount, int changeCount, long creditMinor);

    [LoggerMessage(Level = LogLevel.Error, Message = "Bank part {Institution}/{AgreementId}: S10 step {Step} refused ({Code}); retried")]
    private static partial void LogSettleStepRefused(ILogger logger, string institution, string agreementId, string step, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bank part {Institution}/{AgreementId}: {Step} failed; it is retried")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string step, string institution, string agreementId);
}
