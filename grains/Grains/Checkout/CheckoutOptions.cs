using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// The periods of the checkout flow (configuration section <see cref="SectionName"/>, values as TimeSpan text such as
/// <c>00:02:00</c>). Registered by <see cref="CheckoutServiceCollectionExtensions.AddCheckoutGrains"/>; without that
/// call the grains use these defaults.
/// </summary>
public sealed class CheckoutOptions
{
    public const string SectionName = "Checkout";

    /// <summary>How long a payer has to answer its challenge (S4-S5); never beyond the checkout's expiry. Default 120 s.</summary>
    public TimeSpan ChallengeLifetime { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long the settlement grain waits for every bank's vote after S7 before it aborts (reason
    /// <c>vote_timeout</c>). Default 60 s.</summary>
    public TimeSpan VoteTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The grain timer that re-sends lost one-way calls while a grain is active (Verify, Decide, Begin). Default 2 s.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a checkout in Settling asks the settlement grain for its view, in case the one-way call that
    /// tells it the outcome was lost. Default 10 s.</summary>
    public TimeSpan OutcomePollPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The settlement grain's durable reminder, which carries its work across deactivations and silo loss (the checkout
    /// registers none, ADR 0017). Default 1 min, which is
    /// Orleans' <c>ReminderOptions.MinimumReminderPeriod</c>: a shorter period needs that option lowered too.
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The problems with these values, empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        Positive(ChallengeLifetime, nameof(ChallengeLifetime), TimeSpan.FromSeconds(1));
        Positive(VoteTimeout, nameof(VoteTimeout), TimeSpan.FromSeconds(1));
        Positive(RetryPeriod, nameof(RetryPeriod), TimeSpan.FromMilliseconds(100));
        Positive(ReminderPeriod, nameof(ReminderPeriod), TimeSpan.FromSeconds(1));
        Positive(OutcomePollPeriod, nameof(OutcomePollPeriod), TimeSpan.FromMilliseconds(100));
        return problems;

        void Positive(TimeSpan value, string name, TimeSpan minimum)
        {
            if (value < minimum)
            {
                problems.Add($"{SectionName}:{name} must be at least {minimum}, not {value}.");
            }
        }
    }
}

/// <summary>Registers what the checkout grains (store, checkout, wallet, settlement) need in the silo.</summary>
public static class CheckoutServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="CheckoutOptions"/> to the <c>Checkout</c> section of <paramref name="configuration"/> (validated
    /// when the silo starts) and provides <see cref="TimeProvider.System"/> unless a time provider is registered already.
    /// </summary>
    public static IServiceCollection AddCheckoutGrains(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<CheckoutOptions>()
            .Bind(configuration.GetSection(CheckoutOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CheckoutOptions>, CheckoutOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}

/// <summary>Refuses unusable periods when the silo starts, naming each setting.</summary>
internal sealed class CheckoutOptionsValidator : IValidateOptions<CheckoutOptions>
{
    public ValidateOptionsResult Validate(string? name, CheckoutOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
