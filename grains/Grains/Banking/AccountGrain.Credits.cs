using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// The account's memory of settlement credits (ADR 0020). A credit is remembered, with its full agreement id, until the
/// account learns that its settlement completed: the settlement grain says so by <see cref="CreditSettled"/> once every
/// bank has acknowledged (so no bank part runs S10, and with it <see cref="ApplyCredit"/>, for it again), or, when that
/// one-way word is lost, the account asks the settlement grain after <see cref="BankingOptions.CreditCheckAfter"/>. From
/// then on the credit is kept only by an 8-byte keyed hash and its amount, 16 bytes in a <see cref="SettledCreditBucket"/>
/// (ADR 0021), for <see cref="BankingOptions.CreditGrace"/>, which outlives any late copy of the call, and then dropped.
/// Nothing here writes by itself: the state sheds what it may at the account's next write, so a credit stays one write.
/// </summary>
public sealed partial class AccountGrain
{
    /// <summary>How many settlement grains one check asks at most (the rest wait for the next check).</summary>
    public const int MaxCreditChecksAtOnce = 64;

    /// <summary>Credits (by agreement id) whose settlement this activation learned completed, and when: cut to their key at
    /// the next write. Memory only: after a deactivation the check asks again.</summary>
    private readonly Dictionary<string, DateTimeOffset> _settledCredits = new(StringComparer.Ordinal);

    private IGrainTimer? _creditCheck;

    /// <summary>The settled credits' amounts by key, for the state object it was built from (a reload replaces the state).</summary>
    private Dictionary<long, long>? _settledIndex;
    private AccountState? _settledIndexOf;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (State.Credits.Count > 0)
        {
            // Rows of before ADR 0020 name their credits by agreement id only.
            foreach (var credit in State.Credits.Where(c => c.Key == 0 && c.InFlight))
            {
                credit.Key = CreditKey(EnsureCreditSalt(), credit.AgreementId!);
            }

            // Rows of before ADR 0021 keep completed credits as records: they join the buckets (written at the next write).
            var settled = State.Credits.Where(c => !c.InFlight).OrderBy(c => c.At).Select(c => (c.Key, c.AmountMinor, c.At)).ToList();
            if (settled.Count > 0)
            {
                State.Credits.RemoveAll(c => !c.InFlight);
                SettledCreditBucket.Add(State.SettledCredits, settled);
            }

            StartCreditCheck();
        }

        return base.OnActivateAsync(cancellationToken);
    }

    public async Task<Reply<AccountView>> ApplyCredit(string agreementId, long amountMinor)
    {
        if (Refuse<AccountView>() is { } notOpen)
        {
            return notOpen;
        }

        if (BinaryIds.Check(agreementId, "agreementId", BinaryIds.HashBytes, BinaryIds.HashBytes) is { IsOk: false } badId)
        {
            return Reply<AccountView>.Fail(badId.Error);
        }

        var amount = Money.Positive(State.Currency, amountMinor);
        if (!amount.IsOk)
        {
            return Reply<AccountView>.Fail(amount.Error);
        }

        var key = CreditKey(EnsureCreditSalt(), agreementId);
        if (FindCredit(key, agreementId) is { } remembered)
        {
            return remembered.AmountMinor == amountMinor
                ? Reply<AccountView>.Ok(View())
                : Reply<AccountView>.Fail(ProtocolErrorCode.IdempotencyKeyReused, $"agreement {agreementId} was credited with another amount.");
        }

        var balance = checked(State.BalanceMinor + amountMinor);
        if (balance > Money.MaxAmountMinor)
        {
            return Reply<AccountView>.Fail(ProtocolErrorCode.AmountOverflow, $"the credit would take the account beyond {Money.MaxAmountMinor} minor units.");
        }

        State.BalanceMinor = balance;
        State.Credits.Add(new RememberedCredit { AgreementId = agreementId, AmountMinor = amountMinor, At = Timestamps.Truncate(Now()), Key = key });
        await WriteAsync().ConfigureAwait(true);
        StartCreditCheck();
        LogCredited(_logger, Institution, AccountName, agreementId, amountMinor);
        return Reply<AccountView>.Ok(View());
    }

    public Task CreditSettled(string agreementId)
    {
        if (State.CreditSalt != 0 && !string.IsNullOrEmpty(agreementId))
        {
            MarkSettled(agreementId, Now());
        }

        return Task.CompletedTask;
    }

    /// <summary>Retired (ADR 0013): changes nothing. Kept so that a silo of an older version may still call it.</summary>
    public Task Forget(string agreementId) => Task.CompletedTask;

    /// <summary>The credit's key: the first 8 bytes of SHA-256 over the account's salt and the agreement id (ADR 0020).</summary>
    public static long CreditKey(long salt, string agreementId)
    {
        ArgumentNullException.ThrowIfNull(agreementId);
        var input = new byte[8 + System.Text.Encoding.UTF8.GetByteCount(agreementId)];
        BinaryPrimitives.WriteInt64LittleEndian(input, salt);
        System.Text.Encoding.UTF8.GetBytes(agreementId, input.AsSpan(8));
        var key = BinaryPrimitives.ReadInt64LittleEndian(SHA256.HashData(input));
        return key == 0 ? 1 : key;
    }

    /// <summary>The remembered credit of <paramref name="agreementId"/> in a stored row, if any. A credit still in flight is
    /// matched by its full id; one whose settlement completed by its key alone (see ADR 0020 for the chance of a
    /// collision), and is then returned without its id.</summary>
    public static RememberedCredit? FindCredit(AccountState state, string agreementId)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.CreditSalt == 0)
        {
            return null;
        }

        var key = CreditKey(state.CreditSalt, agreementId);
        return Find(state.Credits, key, agreementId)
            ?? (SettledCreditBucket.Find(state.SettledCredits, key) is { } amount ? new RememberedCredit { Key = key, AmountMinor = amount } : null);
    }

    private RememberedCredit? FindCredit(long key, string agreementId) =>
        Find(State.Credits, key, agreementId)
        ?? (SettledIndex().TryGetValue(key, out var amount) ? new RememberedCredit { Key = key, AmountMinor = amount } : null);

    private static RememberedCredit? Find(List<RememberedCredit> credits, long key, string agreementId) =>
        credits.Find(c => c.Key == key && (!c.InFlight || string.Equals(c.AgreementId, agreementId, StringComparison.Ordinal)));

    private Dictionary<long, long> SettledIndex()
    {
        if (_settledIndex is null || !ReferenceEquals(_settledIndexOf, State))
        {
            _settledIndex = [];
            _settledIndexOf = State;
            foreach (var bucket in State.SettledCredits)
            {
                for (var i = 0; i < bucket.Count; i++)
                {
                    _settledIndex.TryAdd(bucket.KeyAt(i), bucket.AmountAt(i));
                }
            }
        }

        return _settledIndex;
    }

    private long EnsureCreditSalt()
    {
        while (State.CreditSalt == 0)
        {
            State.CreditSalt = BinaryPrimitives.ReadInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
        }

        return State.CreditSalt;
    }

    private void MarkSettled(string agreementId, DateTimeOffset now)
    {
        if (FindCredit(CreditKey(State.CreditSalt, agreementId), agreementId) is { InFlight: true })
        {
            _settledCredits.TryAdd(agreementId, now);
        }
    }

    /// <summary>Before a write: credits whose settlement completed move to the buckets, by key and amount (from when the
    /// account learned it), and the buckets whose grace has passed are dropped.</summary>
    private void CompactCredits(DateTimeOffset now)
    {
        if (_settledCredits.Count > 0)
        {
            var moved = new HashSet<RememberedCredit>();
            var settled = new List<(long Key, long AmountMinor, DateTimeOffset SettledAt)>();
            foreach (var credit in State.Credits)
            {
                if (credit.AgreementId is { } agreementId && _settledCredits.Remove(agreementId, out var settledAt))
                {
                    moved.Add(credit);
                    settled.Add((credit.Key, credit.AmountMinor, settledAt));
                }
            }

            _settledCredits.Clear();
            if (settled.Count > 0)
            {
                var index = SettledIndex();
                State.Credits.RemoveAll(moved.Contains);
                settled.Sort((a, b) => a.SettledAt.CompareTo(b.SettledAt));
                SettledCreditBucket.Add(State.SettledCredits, settled);
                foreach (var credit in settled)
                {
                    index.TryAdd(credit.Key, credit.AmountMinor);
                }
            }
        }

        var grace = BankingServices.Options(ServiceProvider).CreditGrace;
        if (SettledCreditBucket.DropExpired(State.SettledCredits, now, grace).Count > 0)
        {
            _settledIndex = null;
        }
    }

    private void StartCreditCheck()
    {
        if (_creditCheck is null && State.Credits.Exists(c => c.InFlight))
        {
            var period = BankingServices.Options(ServiceProvider).CreditCheckAfter / 4;
            _creditCheck = this.RegisterGrainTimer(CheckCreditsAsync, period, period);
        }
    }

    /// <summary>
    /// The fallback for a lost <see cref="CreditSettled"/>: asks the settlement grain of every credit that waited longer than
    /// <see cref="BankingOptions.CreditCheckAfter"/> whether it completed (one read each). A credit is never dropped
    /// without that answer: an unknown or unfinished settlement, or a failed call, keeps it.
    /// </summary>
    private async Task CheckCreditsAsync()
    {
        var now = Now();
        var after = BankingServices.Options(ServiceProvider).CreditCheckAfter;
        var waiting = State.Credits
            .Where(c => c.InFlight && !_settledCredits.ContainsKey(c.AgreementId!) && now - c.At >= after)
            .Take(MaxCreditChecksAtOnce)
            .ToList();
        if (waiting.Count == 0)
        {
            if (!State.Credits.Exists(c => c.InFlight && !_settledCredits.ContainsKey(c.AgreementId!)))
            {
                _creditCheck?.Dispose();
                _creditCheck = null;
            }

            return;
        }

        var answers = await Task.WhenAll(waiting.Select(AskSettlementAsync)).ConfigureAwait(true);
        for (var i = 0; i < waiting.Count; i++)
        {
            if (answers[i] && waiting[i].AgreementId is { } agreementId)
            {
                MarkSettled(agreementId, Now());
            }
        }
    }

    /// <summary>True when the credit's settlement says it completed; false otherwise, and when it cannot be asked.</summary>
    private async Task<bool> AskSettlementAsync(RememberedCredit credit)
    {
        try
        {
            var view = await GrainFactory.GetGrain<ISettlementGrain>(credit.AgreementId!).Get().ConfigureAwait(true);
            return view is { Stage: SettlementStage.Completed };
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogCreditCheckFailed(_logger, exception, Institution, AccountName, credit.AgreementId!);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {Institution}/{Account}: credited {AmountMinor} for agreement {AgreementId}")]
    private static partial void LogCredited(ILogger logger, string institution, string account, string agreementId, long amountMinor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account {Institution}/{Account}: could not ask the settlement of credit {AgreementId} whether it completed; asked again later")]
    private static partial void LogCreditCheckFailed(ILogger logger, Exception exception, string institution, string account, string agreementId);
}
