using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
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
public sealed class BankingFixture() : SiloFixture("bank-test-")
{
    /// <summary>The cluster client of the silo host.</summary>
    public IClusterClient Client => SiloServices.GetRequiredService<IClusterClient>();

    protected override IHost BuildSilo(string storageConnectionString, string clusterId) =>
        TestSilo.Build(
            storageConnectionString,
            clusterId,
            new Dictionary<string, string?> { ["Banking:RetryPeriod"] = "00:00:00.250" },
            silo => silo.Services.PostConfigure<GrainTypeOptions>(options => options.Classes.RemoveWhere(IsRealPeer)));

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
