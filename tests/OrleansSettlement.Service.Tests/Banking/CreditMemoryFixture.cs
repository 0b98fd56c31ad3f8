using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>
/// One real silo on Azurite (in memory) with every real grain, for the account's memory of credits (ADR 0020): a clock
/// the tests move forward (<see cref="Clock"/>, the silo's <see cref="TimeProvider"/>, so the grains' "now" jumps while
/// Orleans' timers keep real time), a short <see cref="BankingOptions.CreditCheckAfter"/> so that the account's fallback
/// check runs every half second, and a call filter that can lose the settlement grain's
/// <see cref="IAccountGrain.CreditSettled"/> (<see cref="LoseCreditSettled"/>).
/// </summary>
public sealed class CreditMemoryFixture() : SiloFixture("credit-")
{
    public static readonly TimeSpan CreditCheckAfter = TimeSpan.FromSeconds(2);

    public ShiftedClock Clock { get; } = new();

    public CreditSettledFilter LoseCreditSettled { get; } = new();

    /// <summary>The account's stored row, read through the silo's grain storage provider (behind the activation's back).</summary>
    public async Task<AccountState> ReadAccountRowAsync(IAccountGrain account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var row = await ReadRowAsync<AccountState>("account", account).ConfigureAwait(false);
        return row.State ?? throw new InvalidOperationException("The account has no stored row.");
    }

    /// <summary>How many bytes the silo's grain storage serializer writes for <paramref name="state"/>.</summary>
    public int StoredSize(AccountState state) => StorageSerializer.Serialize(state).ToArray().Length;

    protected override IHost BuildSilo(string storageConnectionString, string clusterId) =>
        TestSilo.Build(storageConnectionString, clusterId, new Dictionary<string, string?>
        {
            [$"{CheckoutOptions.SectionName}:{nameof(CheckoutOptions.RetryPeriod)}"] = "00:00:00.5",
            [$"{BankingOptions.SectionName}:{nameof(BankingOptions.RetryPeriod)}"] = "00:00:00.5",
            [$"{BankingOptions.SectionName}:{nameof(BankingOptions.CreditCheckAfter)}"] = CreditCheckAfter.ToString("c", CultureInfo.InvariantCulture),
        }, silo =>
        {
            silo.Services.AddSingleton<TimeProvider>(Clock);
            silo.Services.AddSingleton(LoseCreditSettled);
            silo.AddIncomingGrainCallFilter<CreditSettledFilter>();
        });
}

/// <summary>The system clock plus an offset that only grows: <see cref="Advance"/> makes time pass at once for whatever
/// reads the wall clock from it; timers and timestamps stay the system's.</summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    /// <summary>How far ahead of the system clock this clock is.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
}

/// <summary>While <see cref="Lose"/> is set, every <see cref="IAccountGrain.CreditSettled"/> call is dropped (a lost
/// one-way message) and counted.</summary>
public sealed class CreditSettledFilter : IIncomingGrainCallFilter
{
    private int _lost;
    private volatile bool _lose;

    public bool Lose
    {
        get => _lose;
        set => _lose = value;
    }

    public int Lost => Volatile.Read(ref _lost);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Lose && context.InterfaceMethod?.Name == nameof(IAccountGrain.CreditSettled))
        {
            Interlocked.Increment(ref _lost);
            return Task.CompletedTask;
        }

        return context.Invoke();
    }
}

/// <summary>The account credit memory tests, which share one silo (and its clock).</summary>
[CollectionDefinition(Name)]
public sealed class CreditMemoryCollection : ICollectionFixture<CreditMemoryFixture>
{
    public const string Name = "CreditMemory";
}
