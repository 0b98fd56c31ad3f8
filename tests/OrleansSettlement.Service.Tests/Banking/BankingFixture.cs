using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Storage;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Service.Tests.Infrastructure;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>
/// One real silo for the bank grain tests: Azurite (in memory, free ports) and the silo wired by
/// <see cref="SiloConfiguration"/> (Azure Table clustering, grain storage and reminders), plus
/// <see cref="BankingServiceCollectionExtensions.AddBankingGrains"/> with a fast retry timer. The bank grains' peers (store,
/// wallet, settlement) are the recording fakes of BankingFakes.cs (<see cref="BankingTestStoreGrain"/> and its siblings): the real ones are taken out of this silo, so
/// these tests see exactly what the bank grains send them.
/// </summary>
/// <remarks>Set SETTLE_TEST_LOGS=1 to see the silo's logs on the console.</remarks>
public sealed class BankingFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;
    private IHost? _silo;

    public string ClusterId { get; } = "bank-test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The cluster client of the silo host.</summary>
    public IClusterClient Client => (_silo ?? throw new InvalidOperationException("The fixture has not started.")).Services.GetRequiredService<IClusterClient>();

    /// <summary>The silo's grain storage serializer, to decode stored rows.</summary>
    public IGrainStorageSerializer StorageSerializer => (_silo ?? throw new InvalidOperationException("The fixture has not started.")).Services.GetRequiredService<IGrainStorageSerializer>();

    public string StorageConnectionString => (_azurite ?? throw new InvalidOperationException("The fixture has not started.")).ConnectionString;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find()).ConfigureAwait(false);
        _silo = TestSilo.Build(
            StorageConnectionString,
            ClusterId,
            new Dictionary<string, string?> { ["Banking:RetryPeriod"] = "00:00:00.250" },
            silo => silo.Services.PostConfigure<GrainTypeOptions>(options => options.Classes.RemoveWhere(IsRealPeer)));
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

    /// <summary>A store, wallet or settlement grain that is not one of this assembly's fakes.</summary>
    private static bool IsRealPeer(Type grainClass) =>
        grainClass.Assembly != typeof(BankingFixture).Assembly
        && (typeof(IStoreGrain).IsAssignableFrom(grainClass)
            || typeof(IWalletGrain).IsAssignableFrom(grainClass)
            || typeof(ISettlementGrain).IsAssignableFrom(grainClass));
}

/// <summary>The bank grain tests that share one silo.</summary>
[CollectionDefinition(Name)]
public sealed class BankingCollection : ICollectionFixture<BankingFixture>
{
    public const string Name = "Banking";
}
