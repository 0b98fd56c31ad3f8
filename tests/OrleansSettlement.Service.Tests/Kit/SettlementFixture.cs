using System.Globalization;
using Microsoft.Extensions.Hosting;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Infrastructure;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Kit;

/// <summary>
/// One real silo for whole-flow tests: Azurite (in memory, free ports) and a silo wired by
/// <see cref="SiloConfiguration"/> (Azure Table clustering, grain storage and reminders), with the checkout and bank
/// grains registered with short periods so that retries, challenge expiry and timeouts show within seconds. No API:
/// tests drive the grains as the API would (see <see cref="SettlementKit"/>).
/// </summary>
/// <remarks>Set SETTLE_TEST_LOGS=1 to see the silo's logs on the console.</remarks>
public sealed class SettlementFixture() : SiloFixture("kit-")
{
    /// <summary>How long a payer has to answer a challenge in these tests: short, for the expiry tests, yet twice what a
    /// test took at a load average of 40 on two cores between its S2 and reading its challenge (4 s was too short once).</summary>
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromSeconds(8);

    /// <summary>How long the settlement grain waits for every vote in these tests.</summary>
    public static readonly TimeSpan VoteTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Checks every invariant of PROTOCOL-CHOICES.md from the stored rows (call at a quiet point).</summary>
    public Task AssertInvariantsAsync() => Invariants.SystemInvariants.AssertHoldAsync(StorageConnectionString, StorageSerializer);

    protected override IHost BuildSilo(string storageConnectionString, string clusterId) =>
        TestSilo.Build(storageConnectionString, clusterId, new Dictionary<string, string?>
        {
            [$"{CheckoutOptions.SectionName}:{nameof(CheckoutOptions.ChallengeLifetime)}"] = ChallengeLifetime.ToString("c", CultureInfo.InvariantCulture),
            [$"{CheckoutOptions.SectionName}:{nameof(CheckoutOptions.VoteTimeout)}"] = VoteTimeout.ToString("c", CultureInfo.InvariantCulture),
            [$"{CheckoutOptions.SectionName}:{nameof(CheckoutOptions.RetryPeriod)}"] = "00:00:00.5",
            [$"{BankingOptions.SectionName}:{nameof(BankingOptions.RetryPeriod)}"] = "00:00:00.5",
        });
}

/// <summary>The whole-flow tests that share one silo.</summary>
[CollectionDefinition(Name)]
public sealed class SettlementCollection : ICollectionFixture<SettlementFixture>
{
    public const string Name = "Settlement";
}
