using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// An account at an institution (key <see cref="GrainKeys.Account"/>). Every refusal is decided before anything is
/// written, so a refused request leaves no trace.
/// </summary>
/// <remarks>
/// <para>
/// Operation ids (deposits and withdrawals) are remembered for at most <see cref="OperationMemory"/> (7 days), and only
/// while they are among the last <see cref="MaxRememberedOperations"/> (256) operations and the remembered withdrawals
/// name at most <see cref="MaxRememberedSerials"/> (2,048) note serials together, so that the state stays small (it is
/// rewritten on every operation). A retry with a forgotten id is a new operation: callers must not retry after that
/// window (the API's idempotency keys expire sooner). An unfinished withdrawal is never forgotten.
/// </para>
/// <para>
/// A withdrawal plans first and acts after: the debit and the whole plan (serials, amounts, key version, validity) are
/// one write; then the notes are signed, issued (<see cref="INoteGrain.Issue"/>, idempotent by content) and delivered to
/// the owner's wallet; then the operation is marked done (a second write). A crash or a failure in between is finished
/// by a retry with the same operation id, by a grain timer while the grain is active, and by a reminder otherwise, so
/// money debited always becomes notes and a retry never mints twice.
/// </para>
/// <para>Credits (S10) are remembered by agreement id until their settlement has completed and a grace has passed
/// (ADR 0020, AccountGrain.Credits.cs), so that the state is bounded by the credits in flight, not by the credit rate.</para>
/// </remarks>
public sealed partial class AccountGrain : Grain, IAccountGrain, IRemindable
{
    public const int MaxRememberedOperations = 256;
    public const int MaxRememberedSerials = 2048;
    public const int MaxOperationIdLength = 128;
    public const int MaxNotesPerWithdrawal = 64;
    public static readonly TimeSpan OperationMemory = TimeSpan.FromDays(7);

    private const string RetryReminder = "withdraw-retry";

    private readonly IPersistentState<AccountState> _state;
    private readonly ILogger<AccountGrain> _logger;
    private RetryLoop? _retry;

    public AccountGrain(
        [PersistentState("account", StorageNames.GrainState)] IPersistentState<AccountState> state,
        ILogger<AccountGrain> logger)
    {
        _state = state;
        _logger = logger;
    }

    private AccountState State => _state.State;

    private string Institution => GrainKeys.Split(this.GetPrimaryKeyString()).First;

    private string AccountName => GrainKeys.Split(this.GetPrimaryKeyString()).Second;

    private RetryLoop Retry => _retry ??= new RetryLoop(this, RetryReminder, BankingServices.Options(ServiceProvider), ResumeWithdrawalsAsync, _logger);

    public async Task<Reply<AccountView>> Open(OwnerKind ownerKind, string owner, string currency)
    {
        if (!TrySplitKey(out var institution, out var account))
        {
            return Reply<AccountView>.Fail(ProtocolErrorCode.InvalidField, $"'{this.GetPrimaryKeyString()}' is not an account key of the form institution|account with valid names.");
        }

        if (!Currency.Parse(currency).TryGetValue(out var parsedCurrency, out var badCurrency))
        {
            return Reply<AccountView>.Fail(badCurrency);
        }

        if (CheckOwner(ownerKind, owner) is { } badOwner)
        {
            return badOwner;
        }

        if (State.Opened)
        {
            return State.OwnerKind == ownerKind && string.Equals(State.Owner, owner, StringComparison.Ordinal) && string.Equals(State.Currency, parsedCurrency.Code, StringComparison.Ordinal)
                ? Reply<AccountView>.Ok(View())
                : Reply<AccountView>.Fail(ProtocolErrorCode.AlreadyExists, $"account '{account}' at '{institution}' already exists for another owner or currency.");
        }

        var profile = await GrainFactory.GetGrain<IBankDirectoryGrain>(IBankDirectoryGrain.Key).GetInstitution(institution).ConfigureAwait(true);
        if (profile is null)
        {
            return Reply<AccountView>.Fail(ProtocolErrorCode.UnknownInstitution, $"institution '{institution}' does not exist.");
        }

        State.Opened = true;
        State.OwnerKind = ownerKind;
        State.Owner = owner;
        State.Currency = parsedCurrency.Code;
        State.OpenedAt = Timestamps.Truncate(Now());
        await WriteAsync().ConfigureAwait(true);
        LogOpened(_logger, institution, account, ownerKind, parsedCurrency.Code);
        return Reply<AccountView>.Ok(View());
    }

    public Task<AccountView?> Get() => Task.FromResult(State.Opened ? View() : null);

    public async Task<Reply<AccountView>> Deposit(string operationId, long amountMinor)
    {
        if (Refuse<AccountView>() is { } notOpen)
        {
            return notOpen;
        }

        if (CheckOperationId(operationId) is { } badId)
        {
            return Reply<AccountView>.Fail(badId);
        }

        var amount = Money.Positive(State.Currency, amountMinor);
        if (!amount.IsOk)
        {
            return Reply<AccountView>.Fail(amount.Error);
        }

        var hash = RequestHash(AccountOperation.DepositKind, amountMinor.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Find(operationId) is { } existing)
        {
            return string.Equals(existing.RequestHash, hash, StringComparison.Ordinal)
                ? Reply<AccountView>.Ok(SnapshotView(existing))
                : Reply<AccountView>.Fail(ProtocolErrorCode.IdempotencyKeyReused, $"operation id '{operationId}' was used for another request.");
        }

        var balance = checked(State.BalanceMinor + amountMinor);
        var deposited = checked(State.DepositedMinor + amountMinor);
        if (balance > Money.MaxAmountMinor || deposited > Money.MaxAmountMinor)
        {
            return Reply<AccountView>.Fail(ProtocolErrorCode.AmountOverflow, $"the deposit would take the account beyond {Money.MaxAmountMinor} minor units.");
        }

        var now = Timestamps.Truncate(Now());
        State.BalanceMinor = balance;
        State.DepositedMinor = deposited;
        Remember(new AccountOperation
        {
            OperationId = operationId,
            Kind = AccountOperation.DepositKind,
            RequestHash = hash,
            At = now,
            BalanceMinor = State.BalanceMinor,
            DepositedMinor = State.DepositedMinor,
            WithdrawnMinor = State.WithdrawnMinor,
            Done = true,
        }, now);
        await WriteAsync().ConfigureAwait(true);
        LogDeposited(_logger, Institution, AccountName, operationId, amountMinor);
        return Reply<AccountView>.Ok(View());
    }

    public async Task<Reply<Withdrawal>> Withdraw(string operationId, IReadOnlyList<long> denominationsMinor, string holderJwkJson)
    {
        if (Refuse<Withdrawal>() is { } notOpen)
        {
            return notOpen;
        }

        if (CheckOperationId(operationId) is { } badId)
        {
            return Reply<Withdrawal>.Fail(badId);
        }

        if (denominationsMinor is null || denominationsMinor.Count is 0 or > MaxNotesPerWithdrawal)
        {
            return Reply<Withdrawal>.Fail(ProtocolErrorCode.InvalidField, $"a withdrawal asks for 1 to {MaxNotesPerWithdrawal} notes.");
        }

        var amounts = new List<Money>(denominationsMinor.Count);
        foreach (var denomination in denominationsMinor)
        {
            var amount = Money.Positive(State.Currency, denomination);
            if (!amount.IsOk)
            {
                return Reply<Withdrawal>.Fail(amount.Error);
            }

            amounts.Add(amount.Value);
        }

        var total = Money.Sum(amounts);
        if (!total.IsOk)
        {
            return Reply<Withdrawal>.Fail(total.Error);
        }

        var holder = PublicJwk.Parse(holderJwkJson ?? "");
        if (!holder.IsOk)
        {
            return Reply<Withdrawal>.Fail(holder.Error);
        }

        if (State.OwnerKind != OwnerKind.Wallet || !string.Equals(holder.Value.Thumbprint, State.Owner, StringComparison.Ordinal))
        {
            return Reply<Withdrawal>.Fail(ProtocolErrorCode.Forbidden, "only the wallet that owns the account may withdraw from it, into notes held by its own key.");
        }

        var hash = RequestHash(AccountOperation.WithdrawKind, holder.Value.Thumbprint, string.Join(',', denominationsMinor));
        if (Find(operationId) is { } existing)
        {
            return string.Equals(existing.RequestHash, hash, StringComparison.Ordinal)
                ? await FinishOrRetryAsync(existing).ConfigureAwait(true)
                : Reply<Withdrawal>.Fail(ProtocolErrorCode.IdempotencyKeyReused, $"operation id '{operationId}' was used for another request.");
        }

        if (total.Value.AmountMinor > State.BalanceMinor && await _state.RefreshAsync().ConfigureAwait(true))
        {
            // The row moved on behind this activation: a second activation (a silo loss) took a deposit or a credit (found
            // by settle chaos). The refusal rests on a balance this activation may not hold: decide again from the row.
            return await Withdraw(operationId, denominationsMinor, holderJwkJson ?? "").ConfigureAwait(true);
        }

        if (total.Value.AmountMinor > State.BalanceMinor)
        {
            return Reply<Withdrawal>.Fail(ProtocolErrorCode.InsufficientFunds, $"the account holds {State.BalanceMinor} but the notes asked for are worth {total.Value.AmountMinor} {State.Currency} minor units.");
        }

        var kid = await GrainFactory.GetGrain<IInstitutionSignerGrain>(Institution).GetActiveNoteKeyId().ConfigureAwait(true)
            ?? throw new InvalidOperationException($"institution {Institution} has no active note key.");
        var now = Timestamps.Truncate(Now());
        var operation = new AccountOperation
        {
            OperationId = operationId,
            Kind = AccountOperation.WithdrawKind,
            RequestHash = hash,
            At = now,
            BalanceMinor = checked(State.BalanceMinor - total.Value.AmountMinor),
            DepositedMinor = State.DepositedMinor,
            WithdrawnMinor = State.WithdrawnMinor,
            Done = false,
            Notes = denominationsMinor.Select(d => new PlannedNote { Serial = BinaryIds.NewRandom(), AmountMinor = d }).ToList(),
            Holder = holder.Value.Thumbprint,
            Kid = kid,
            IssuedAt = now,
            ExpiresAt = now + BankingServices.Options(ServiceProvider).NoteLifetime,
        };

        // The reminder first: once the plan is written, something always finishes it.
        await Retry.ArmAsync().ConfigureAwait(true);
        State.BalanceMinor = operation.BalanceMinor;
        Remember(operation, now);
        await WriteAsync().ConfigureAwait(true);
        LogWithdrawalPlanned(_logger, Institution, AccountName, operationId, operation.Notes.Count, total.Value.AmountMinor);
        return await FinishOrRetryAsync(operation).ConfigureAwait(true);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (string.Equals(reminderName, RetryReminder, StringComparison.Ordinal))
        {
            await ResumeWithdrawalsAsync().ConfigureAwait(true);
        }
    }

    /// <summary>Finishes every unfinished withdrawal; removes the retries when none is left.</summary>
    private async Task ResumeWithdrawalsAsync()
    {
        foreach (var operation in State.Operations.Where(o => !o.Done).ToList())
        {
            await FinishWithdrawalAsync(operation).ConfigureAwait(true);
        }

        if (!State.Operations.Exists(o => !o.Done))
        {
            await Retry.DisarmAsync().ConfigureAwait(true);
        }
    }

    /// <summary>Finishes a withdrawal; when that fails, the fast timer retries it while the caller may retry too.</summary>
    private async Task<Reply<Withdrawal>> FinishOrRetryAsync(AccountOperation operation)
    {
        try
        {
            return await FinishWithdrawalAsync(operation).ConfigureAwait(true);
        }
        catch
        {
            if (!operation.Done)
            {
                Retry.StartTimer();
            }

            throw;
        }
    }

    /// <summary>Carries out a persisted withdrawal plan (idempotent) and returns its notes and first answer.</summary>
    private async Task<Reply<Withdrawal>> FinishWithdrawalAsync(AccountOperation operation)
    {
        var institution = Institution;
        if (operation.Done)
        {
            var views = await Task.WhenAll(operation.Notes.Select(n => Note(n.Serial).Get())).ConfigureAwait(true);
            var texts = views.Select((v, i) => v?.NoteJson ?? throw new InvalidOperationException($"note {operation.Notes[i].Serial} of a finished withdrawal is missing.")).ToList();
            return Reply<Withdrawal>.Ok(new Withdrawal(texts, SnapshotView(operation)));
        }

        var drafts = operation.Notes
            .Select(n => new NoteDraft(n.Serial, operation.Kid, State.Currency, n.AmountMinor, operation.Holder, operation.IssuedAt, operation.ExpiresAt))
            .ToList();
        var signed = await GrainFactory.GetGrain<IInstitutionSignerGrain>(institution).SignNotes(drafts).ConfigureAwait(true);
        var issued = await Task.WhenAll(signed.Select((json, i) => Note(drafts[i].Serial).Issue(json))).ConfigureAwait(true);
        var noteJsons = new List<string>(issued.Length);
        for (var i = 0; i < issued.Length; i++)
        {
            if (!issued[i].IsOk)
            {
                LogIssueRefused(_logger, institution, drafts[i].Serial, issued[i].Refusal!.Code);
                throw new InvalidOperationException($"note {drafts[i].Serial} could not be issued: {issued[i].Refusal!.Code}");
            }

            noteJsons.Add(issued[i].Value!.NoteJson);
        }

        await GrainFactory.GetGrain<IWalletGrain>(operation.Holder).ReceiveNotes(noteJsons).ConfigureAwait(true);
        operation.Done = true;
        await WriteAsync().ConfigureAwait(true);
        LogWithdrawalDone(_logger, institution, AccountName, operation.OperationId, noteJsons.Count);
        if (!State.Operations.Exists(o => !o.Done))
        {
            await Retry.DisarmAsync().ConfigureAwait(true);
        }

        return Reply<Withdrawal>.Ok(new Withdrawal(noteJsons, SnapshotView(operation)));
    }

    private INoteGrain Note(string serial) => GrainFactory.GetGrain<INoteGrain>(GrainKeys.Note(Institution, serial));

    private AccountOperation? Find(string operationId) =>
        State.Operations.Find(o => string.Equals(o.OperationId, operationId, StringComparison.Ordinal));

    /// <summary>Adds an operation and forgets the oldest finished ones beyond the bounds (see the class remarks).</summary>
    private void Remember(AccountOperation operation, DateTimeOffset now)
    {
        State.Operations.Add(operation);
        State.Operations.RemoveAll(o => o.Done && now - o.At > OperationMemory);
        var serials = State.Operations.Sum(o => o.Notes.Count);
        var count = State.Operations.Count;
        for (var i = 0; i < State.Operations.Count && (count > MaxRememberedOperations || serials > MaxRememberedSerials);)
        {
            var oldest = State.Operations[i];
            if (!oldest.Done || ReferenceEquals(oldest, operation))
            {
                i++;
                continue;
            }

            State.Operations.RemoveAt(i);
            count--;
            serials -= oldest.Notes.Count;
        }
    }

    private Reply<T>? Refuse<T>() => State.Opened
        ? null
        : Reply<T>.Fail(ProtocolErrorCode.UnknownAccount, $"account '{this.GetPrimaryKeyString()}' does not exist.");

    private bool TrySplitKey(out string institution, out string account)
    {
        institution = account = "";
        var key = this.GetPrimaryKeyString();
        var at = key.IndexOf(GrainKeys.Separator, StringComparison.Ordinal);
        if (at <= 0)
        {
            return false;
        }

        institution = key[..at];
        account = key[(at + 1)..];
        return Names.IsValid(institution) && Names.IsValid(account);
    }

    private static Reply<AccountView>? CheckOwner(OwnerKind ownerKind, string owner) => ownerKind switch
    {
        OwnerKind.Wallet when BinaryIds.Check(owner, "owner", BinaryIds.HashBytes, BinaryIds.HashBytes) is { IsOk: false } bad => Reply<AccountView>.Fail(bad.Error),
        OwnerKind.Wallet => null,
        OwnerKind.Store when !Names.IsValid(owner) => Reply<AccountView>.Fail(ProtocolErrorCode.InvalidField, "a store owner must be a store name (1 to 64 characters of a-z, 0-9 and '-')."),
        OwnerKind.Store => null,
        _ => Reply<AccountView>.Fail(ProtocolErrorCode.InvalidField, "the owner kind must be wallet or store."),
    };

    private static ProtocolError? CheckOperationId(string operationId) =>
        string.IsNullOrEmpty(operationId) || operationId.Length > MaxOperationIdLength || operationId.Any(char.IsControl)
            ? new ProtocolError(ProtocolErrorCode.InvalidField, $"the operation id must be 1 to {MaxOperationIdLength} characters without control characters.")
            : null;

    private static string RequestHash(params string[] parts) =>
        Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', parts)));

    private AccountView View() => new(Institution, AccountName, State.OwnerKind, State.Owner, State.Currency, State.BalanceMinor, State.DepositedMinor, State.WithdrawnMinor);

    private AccountView SnapshotView(AccountOperation operation) =>
        new(Institution, AccountName, State.OwnerKind, State.Owner, State.Currency, operation.BalanceMinor, operation.DepositedMinor, operation.WithdrawnMinor);

    private DateTimeOffset Now() => BankingServices.Clock(ServiceProvider).GetUtcNow();

    /// <summary>Writes the state; every write also sheds the credits whose grace has passed (ADR 0020).</summary>
    private async Task WriteAsync()
    {
        CompactCredits(Now());
        await _state.WriteOrReloadAsync(this).ConfigureAwait(true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {Institution}/{Account} opened for a {OwnerKind} in {Currency}")]
    private static partial void LogOpened(ILogger logger, string institution, string account, OwnerKind ownerKind, string currency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {Institution}/{Account}: deposit {OperationId} of {AmountMinor}")]
    private static partial void LogDeposited(ILogger logger, string institution, string account, string operationId, long amountMinor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {Institution}/{Account}: withdrawal {OperationId} planned, {NoteCount} notes worth {AmountMinor}")]
    private static partial void LogWithdrawalPlanned(ILogger logger, string institution, string account, string operationId, int noteCount, long amountMinor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {Institution}/{Account}: withdrawal {OperationId} done, {NoteCount} notes issued")]
    private static partial void LogWithdrawalDone(ILogger logger, string institution, string account, string operationId, int noteCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Institution {Institution}: issuing note {Serial} was refused ({Code})")]
    private static partial void LogIssueRefused(ILogger logger, string institution, string serial, string code);
}
