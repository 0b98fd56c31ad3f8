using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;
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
public sealed class SettlementFixture : IAsyncLifetime
{
    /// <summary>How long a payer has to answer a challenge in these tests: short, for the expiry tests, yet twice what a
    /// test took at a load average of 40 on two cores between its S2 and reading its challenge (4 s was too short once).</summary>
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromSeconds(8);

    /// <summary>How long the settlement grain waits for every vote in these tests.</summary>
    public static readonly TimeSpan VoteTimeout = TimeSpan.FromSeconds(20);

    private AzuriteProcess? _azurite;
    private IHost? _silo;

    public string ClusterId { get; } = "kit-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The silo's grain factory (calls go straight into the in-process silo).</summary>
    public IGrainFactory Grains => (_silo ?? throw new InvalidOperationException("The fixture has not started.")).Services.GetRequiredService<IGrainFactory>();

    /// <summary>The silo's services (its grain storage provider, to read and write rows behind an activation's back).</summary>
    public IServiceProvider SiloServices => (_silo ?? throw new InvalidOperationException("The fixture has not started.")).Services;

    private IGrainStorage GrainStorage => SiloServices.GetRequiredKeyedService<IGrainStorage>(Contracts.StorageNames.GrainState);

    /// <summary>Reads a grain's stored row through the silo's own grain storage provider (behind any activation's back).</summary>
    public async Task<GrainState<T>> ReadRowAsync<T>(string stateName, IAddressable grain)
    {
        ArgumentNullException.ThrowIfNull(grain);
        var row = new GrainState<T>();
        await GrainStorage.ReadStateAsync(stateName, grain.GetGrainId(), row).ConfigureAwait(false);
        return row;
    }

    /// <summary>Writes a grain's row as another activation would (the row's ETag must be the stored one).</summary>
    public Task WriteRowAsync<T>(string stateName, IAddressable grain, GrainState<T> row)
    {
        ArgumentNullException.ThrowIfNull(grain);
        return GrainStorage.WriteStateAsync(stateName, grain.GetGrainId(), row);
    }

    /// <summary>The Azurite connection string (for reading stored rows directly).</summary>
    public string StorageConnectionString => (_azurite ?? throw new InvalidOperationException("The fixture has not started.")).ConnectionString;

    /// <summary>The silo's grain storage serializer, to decode stored rows as the silo wrote them.</summary>
    public IGrainStorageSerializer StorageSerializer => (_silo ?? throw new InvalidOperationException("The fixture has not started.")).Services.GetRequiredService<IGrainStorageSerializer>();

    /// <summary>Checks every invariant of PROTOCOL-CHOICES.md from the stored rows (call at a quiet point).</summary>
    public Task AssertInvariantsAsync() => Invariants.SystemInvariants.AssertHoldAsync(StorageConnectionString, StorageSerializer);

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find()).ConfigureAwait(false);
        _silo = BuildSilo(_azurite.ConnectionString, ClusterId);
        await _silo.StartAsync().ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync().ConfigureAwait(false);
            _silo.Dispose();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static IHost BuildSilo(string storage, string clusterId) =>
        TestSilo.Build(storage, clusterId, new Dictionary<string, string?>
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
