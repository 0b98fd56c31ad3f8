using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Diagnostics;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// One institution's part in one agreement (key <see cref="GrainKeys.BankAgreement"/>): S8 (verify again, hold the
/// notes), S9 (sign and send the result to the settlement grain) and S10 (on a COMMIT it verified itself: persist the
/// whole plan in one write, then spend, mint change, credit, record interbank positions; on an ABORT: release).
/// </summary>
/// <remarks>
/// <para>Durable writes. Verify at a payer bank: 2 (the intent with the serials it will hold, then the result with the
/// holds), plus one per note at its <see cref="NoteGrain"/>; a refusal found before any hold: 1. Verify at a payee-only
/// bank: 1. Decide(commit): 2 (the plan, then Settled), plus one per spent note, one per change note, the credit at the
/// payee account and its forget; plus registering and removing the retry reminder. Decide(abort): 1, plus one per note
/// actually released.</para>
/// <para>It never releases holds on a timer of its own: only an ABORT releases. After a COMMIT it retries S10 from the
/// persisted plan (grain timer while active, reminder otherwise) until done. It never awaits a grain that awaits it: the
/// settlement grain calls it one-way, and it calls the settlement grain.</para>
/// </remarks>
public sealed partial class BankAgreementGrain : Grain, IBankAgreementGrain, IRemindable, IBankPartLookups
{
    private const string RetryReminder = "s10-retry";

    private readonly IPersistentState<BankAgreementState> _state;
    private readonly ILogger<BankAgreementGrain> _logger;
    private RetryLoop? _retry;
    private bool _voteUnsent;

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

    public Task<BankPartView> Get() => Task.FromResult(new BankPartView(
        Institution,
        AgreementId,
        State.Stage switch
        {
            BankPartProgress.VotedValid => BankPartStage.VotedValid,
            BankPartProgress.VotedInvalid => BankPartStage.VotedInvalid,
            BankPartProgress.Settling => BankPartStage.Settling,
            BankPartProgress.Settled => BankPartStage.Settled,
            BankPartProgress.Released => BankPartStage.Released,
            _ => BankPartStage.None,
        },
        State.ResultJson,
        State.Changes.Where(c => c.NoteJson is not null).Select(c => c.NoteJson!).ToList()));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (string.Equals(reminderName, RetryReminder, StringComparison.Ordinal))
        {
            await RetryAsync().ConfigureAwait(true);
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
        var findings = await BankAgreementChecks.VerifyAsync(Institution, AgreementId, request, now, this).ConfigureAwait(true);
        if (!findings.IsOk)
        {
            await VoteInvalidAsync(findings.Error).ConfigureAwait(true);
            return;
        }

        var found = findings.Value;
        var serials = found.Serials;
        if (serials.Count > 0)
        {
            // The intent first: once a hold may exist, an abort knows every serial to release.
            State.Stage = BankPartProgress.Verifying;
            State.Serials = State.Serials.Union(serials, StringComparer.Ordinal).ToList();
            await WriteAsync().ConfigureAwait(true);
        }

        var holds = await Task.WhenAll(serials.Select(s => Note(s).Hold(AgreementId))).ConfigureAwait(true);
        if (holds.FirstOrDefault(h => !h.IsOk) is { } refused)
        {
            await VoteInvalidAsync(refused.Refusal!.ToError()).ConfigureAwait(true);
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
        await WriteAsync().ConfigureAwait(true);
        LogVoted(_logger, Institution, AgreementId, "valid", "none", serials.Count);
        await SendVoteAsync().ConfigureAwait(true);
    }

    /// <summary>Releases whatever this agreement may hold, then persists and sends an INVALID result.</summary>
    private async Task VoteInvalidAsync(ProtocolError error)
    {
        await ReleaseAsync(State.Serials).ConfigureAwait(true);
        var result = await Signer().SignResult(new ResultDraft(AgreementId, Valid: false, error.WireCode, Now())).ConfigureAwait(true);
        State.Stage = BankPartProgress.VotedInvalid;
        State.ResultJson = result;
        State.InvalidReason = error.WireCode;
        State.Serials = [];
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
            await AbortAsync(decision).ConfigureAwait(true);
        }
        else
        {
            await CommitAsync(decision).ConfigureAwait(true);
        }
    }

    private async Task AbortAsync(SettlementDecision decision)
    {
        if (State.Stage is BankPartProgress.Settling or BankPartProgress.Settled)
        {
            // A COMMIT is never undone.
            LogAbortAfterCommit(_logger, Institution, AgreementId);
            return;
        }

        await ReleaseAsync(State.Serials).ConfigureAwait(true);
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
        switch (State.Stage)
        {
            case BankPartProgress.Settled:
                await AfterSettledAsync().ConfigureAwait(true);
                return;
            case BankPartProgress.Settling:
                await SettleOrRetryAsync().ConfigureAwait(true);
                return;
            case BankPartProgress.VotedValid:
                break;
            default:
                // Without this bank's own persisted VALID vote no genuine commit can exist.
                LogCommitRefused(_logger, Institution, AgreementId, "not_voted_valid", $"this bank's part is at stage {State.Stage}, not VotedValid");
                return;
        }

        if (await BankAgreementChecks.VerifyCommitAsync(AgreementId, State.Institutions, decision, this).ConfigureAwait(true) is { } problem)
        {
            // An invalid commit never moves money: keep the holds, settle nothing.
            LogCommitRefused(_logger, Institution, AgreementId, problem.WireCode, problem.Detail);
            return;
        }

        await PlanAsync(decision).ConfigureAwait(true);
        await SettleOrRetryAsync().ConfigureAwait(true);
    }

    /// <summary>Fixes the whole S10 plan and persists it in one write, the retry reminder registered in the same turn.</summary>
    private async Task PlanAsync(SettlementDecision decision)
    {
        var now = Timestamps.Truncate(Now());
        var lifetime = BankingServices.Options(ServiceProvider).NoteLifetime;
        var changes = new List<ChangePlan>();
        var withChange = State.Payers.Where(p => p.NotesMinor > p.ShareMinor).ToList();
        if (withChange.Count > 0)
        {
            var kid = await Signer().GetActiveNoteKeyId().ConfigureAwait(true)
                ?? throw new InvalidOperationException($"institution {Institution} has no active note key for change.");
            changes.AddRange(withChange.Select(p => new ChangePlan
            {
                Wallet = p.Wallet,
                Serial = BinaryIds.NewRandom(),
                AmountMinor = checked(p.NotesMinor - p.ShareMinor),
                Holder = p.ChangeTo,
                Kid = kid,
                IssuedAt = now,
                ExpiresAt = now + lifetime,
            }));
        }

        var isPayee = string.Equals(State.PayeeInstitution, Institution, StringComparison.Ordinal);
        var positions = new List<InterbankPosition>();
        if (isPayee)
        {
            positions.AddRange(State.Shares
                .Where(s => !string.Equals(s.Institution, Institution, StringComparison.Ordinal))
                .Select(s => new InterbankPosition { Counterparty = s.Institution, Currency = State.Currency, AmountMinor = s.ShareMinor }));
        }
        else if (State.Shares.Find(s => string.Equals(s.Institution, Institution, StringComparison.Ordinal)) is { } own)
        {
            positions.Add(new InterbankPosition { Counterparty = State.PayeeInstitution, Currency = State.Currency, AmountMinor = -own.ShareMinor });
        }

        await Retry.ArmAsync().ConfigureAwait(true);
        State.Stage = BankPartProgress.Settling;
        State.Decision = DecisionKind.Commit;
        State.DecidedAt = decision.DecidedAt;
        State.Changes = changes;
        State.CreditMinor = isPayee ? State.TotalMinor : 0;
        State.Positions = positions;
        await WriteAsync().ConfigureAwait(true);
        LogPlanned(_logger, Institution, AgreementId, State.Serials.Count, changes.Count, State.CreditMinor);
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

    /// <summary>Carries out the persisted plan; every step is idempotent, so a retry repeats it from the start.</summary>
    private async Task SettleAsync()
    {
        var spent = await Task.WhenAll(State.Serials.Select(s => Note(s).Spend(AgreementId))).ConfigureAwait(true);
        for (var i = 0; i < spent.Length; i++)
        {
            if (!spent[i].IsOk)
            {
                LogSettleStepRefused(_logger, Institution, AgreementId, "spend", spent[i].Refusal!.Code);
                throw new InvalidOperationException($"note {State.Serials[i]} cannot be spent for agreement {AgreementId}: {spent[i].Refusal!.Code}");
            }
        }

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

                State.Changes[i].NoteJson = issued[i].Value!.NoteJson;
            }

            foreach (var group in State.Changes.GroupBy(c => c.Holder, StringComparer.Ordinal))
            {
                await GrainFactory.GetGrain<IWalletGrain>(group.Key).ReceiveNotes(group.Select(c => c.NoteJson!).ToList()).ConfigureAwait(true);
            }
        }

        if (State.CreditMinor > 0)
        {
            var credited = await PayeeAccount().ApplyCredit(AgreementId, State.CreditMinor).ConfigureAwait(true);
            if (!credited.IsOk)
            {
                LogSettleStepRefused(_logger, Institution, AgreementId, "credit", credited.Refusal!.Code);
                throw new InvalidOperationException($"the payee account cannot be credited for agreement {AgreementId}: {credited.Refusal!.Code}");
            }
        }

        State.Stage = BankPartProgress.Settled;
        State.FinishedAt = Timestamps.Truncate(Now());
        await WriteAsync().ConfigureAwait(true);
        LogSettled(_logger, Institution, AgreementId, State.Serials.Count, State.Changes.Count, State.CreditMinor);
        await Retry.DisarmAsync().ConfigureAwait(true);
        await AfterSettledAsync().ConfigureAwait(true);
    }

    /// <summary>Once Settled is durable: the account may forget the credit's id, and the settlement grain hears of it.</summary>
    private async Task AfterSettledAsync()
    {
        if (State.CreditMinor > 0)
        {
            await PayeeAccount().Forget(AgreementId).ConfigureAwait(true);
        }

        var lines = State.Payers.Select(p =>
        {
            var change = State.Changes.Where(c => string.Equals(c.Wallet, p.Wallet, StringComparison.Ordinal)).ToList();
            return new ReceiptLine(p.Wallet, Institution, p.ShareMinor, change.Sum(c => c.AmountMinor), change.Select(c => c.NoteJson!).ToList());
        }).ToList();
        await Settlement().Acknowledge(new BankAcknowledgement(Institution, DecisionKind.Commit, lines)).ConfigureAwait(true);
    }

    /// <summary>The timer's and the reminder's work: finish S10, or re-send a vote that was lost.</summary>
    private async Task RetryAsync()
    {
        using var step = CheckoutTelemetry.Step(Steps.Tick, State.TraceParent).Tag(CheckoutTelemetry.InstitutionAttribute, Institution);
        if (State.Stage == BankPartProgress.Settling)
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
            await Retry.DisarmAsync().ConfigureAwait(true);
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

    Task<InstitutionProfile?> IBankPartLookups.InstitutionAsync(string institution) =>
        SiloProfiles.Of(GrainFactory).InstitutionAsync(GrainFactory, institution, Now(), BankingServices.Options(ServiceProvider).ProfileCacheLifetime);

    Task<StoreProfile?> IBankPartLookups.StoreAsync(string store) =>
        SiloProfiles.Of(GrainFactory).StoreAsync(GrainFactory, store, Now(), BankingServices.Options(ServiceProvider).ProfileCacheLifetime);

    Task<AccountView?> IBankPartLookups.AccountAsync(string institution, string account) =>
        SiloProfiles.Of(GrainFactory).AccountAsync(GrainFactory, institution, account, Now(), BankingServices.Options(ServiceProvider).ProfileCacheLifetime);

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
