using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// The periods and lifetimes of the bank grains (configuration section <see cref="SectionName"/>, values as TimeSpan
/// text such as <c>00:00:02</c>). Registered by <see cref="BankingServiceCollectionExtensions.AddBankingGrains"/>;
/// without that call the grains use these defaults.
/// </summary>
public sealed class BankingOptions
{
    public const string SectionName = "Banking";

    /// <summary>The grain timer that retries unfinished work (S10 after a commit, a withdrawal's minting, a lost vote)
    /// while the grain is active. Default 2 s.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The durable reminder that carries a withdrawal's minting across deactivations and silo loss. Default 1 min, which
    /// is Orleans' <c>ReminderOptions.MinimumReminderPeriod</c>: a shorter period needs that option lowered too. Bank
    /// parts register none (ADR 0013): the settlement grain's reminder sends Verify and the decision again until every
    /// bank part has voted and acknowledged.
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a note (withdrawn or change) is valid from its issue. Default 365 days.</summary>
    public TimeSpan NoteLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// How long a public profile (an institution's published keys, a store's challenge key) and an institution's key
    /// material stay cached in a worker activation before they are read again. Default 30 s. A revoked key may
    /// therefore still verify for up to this long after its revocation.
    /// </summary>
    public TimeSpan ProfileCacheLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an account still recognizes a credit after it learned that the credit's settlement completed (ADR 0020).
    /// Once every bank has acknowledged, only a late copy of a call can still bring the credit again, and Orleans drops a
    /// request older than its response timeout (30 s by default), so this must exceed that timeout. Default 1 min.
    /// </summary>
    public TimeSpan CreditGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a credit may wait for its settlement's word that it completed (a one-way call, which can be lost) before
    /// the account asks the settlement grain itself (ADR 0020). It asks every quarter of this period. Default 10 min.
    /// </summary>
    public TimeSpan CreditCheckAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The problems with these values, empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        AtLeast(RetryPeriod, nameof(RetryPeriod), TimeSpan.FromMilliseconds(100));
        AtLeast(ReminderPeriod, nameof(ReminderPeriod), TimeSpan.FromSeconds(1));
        AtLeast(NoteLifetime, nameof(NoteLifetime), TimeSpan.FromMinutes(1));
        AtLeast(ProfileCacheLifetime, nameof(ProfileCacheLifetime), TimeSpan.Zero);
        AtLeast(CreditGrace, nameof(CreditGrace), TimeSpan.FromMilliseconds(100));
        AtLeast(CreditCheckAfter, nameof(CreditCheckAfter), TimeSpan.FromMilliseconds(400));
        if (NoteLifetime > TimeSpan.FromDays(3650))
        {
            problems.Add($"{SectionName}:{nameof(NoteLifetime)} must be at most 3650 days, not {NoteLifetime}.");
        }

        return problems;

        void AtLeast(TimeSpan value, string name, TimeSpan minimum)
        {
            if (value < minimum)
            {
                problems.Add($"{SectionName}:{name} must be at least {minimum}, not {value}.");
            }
        }
    }
}

/// <summary>Registers what the bank grains (institution, account, note, bank agreement) need in the silo.</summary>
public static class BankingServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="BankingOptions"/> to the <c>Banking</c> section of <paramref name="configuration"/> (validated
    /// when the silo starts) and provides <see cref="TimeProvider.System"/> unless a time provider is registered already.
    /// </summary>
    public static IServiceCollection AddBankingGrains(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BankingOptions>()
            .Bind(configuration.GetSection(BankingOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BankingOptions>, BankingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}

/// <summary>Refuses unusable periods when the silo starts, naming each setting.</summary>
internal sealed class BankingOptionsValidator : IValidateOptions<BankingOptions>
{
    public ValidateOptionsResult Validate(string? name, BankingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>Resolves the services a bank grain needs, with defaults when the silo did not call
/// <see cref="BankingServiceCollectionExtensions.AddBankingGrains"/>.</summary>
internal static class BankingServices
{
    public static TimeProvider Clock(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;

    public static BankingOptions Options(IServiceProvider services) =>
        services.GetService<IOptions<BankingOptions>>()?.Value ?? new BankingOptions();
}
