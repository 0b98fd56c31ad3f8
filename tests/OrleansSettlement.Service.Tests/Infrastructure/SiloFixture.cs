using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Service.Tests.Infrastructure;

/// <summary>
/// Azurite (in memory, free ports) and one real silo that the subclass builds (through <see cref="TestSilo"/>), started
/// and stopped as one. When the silo cannot start, Azurite is stopped before the failure goes on: xUnit does not dispose
/// a fixture whose initialization threw, so the fixtures that each started the two themselves left an Azurite process
/// behind whenever their silo failed to start.
/// </summary>
/// <remarks>Set SETTLE_TEST_LOGS=1 to see the silo's logs on the console.</remarks>
public abstract class SiloFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;
    private IHost? _silo;

    /// <param name="clusterPrefix">The start of the cluster id; a random suffix keeps fixtures apart.</param>
    protected SiloFixture(string clusterPrefix)
    {
        ClusterId = clusterPrefix + Guid.NewGuid().ToString("N")[..12];
    }

    public string ClusterId { get; }

    /// <summary>The Azurite connection string (for reading stored rows directly).</summary>
    public string StorageConnectionString => (_azurite ?? throw NotStarted()).ConnectionString;

    /// <summary>The process id of the Azurite this fixture started last (kept after it stopped, to check that it did).</summary>
    public int AzuriteProcessId { get; private set; }

    /// <summary>The silo's services.</summary>
    public IServiceProvider SiloServices => (_silo ?? throw NotStarted()).Services;

    /// <summary>The silo's grain factory (calls go straight into the in-process silo).</summary>
    public IGrainFactory Grains => SiloServices.GetRequiredService<IGrainFactory>();

    /// <summary>The silo's grain storage serializer, to decode stored rows as the silo wrote them.</summary>
    public IGrainStorageSerializer StorageSerializer => SiloServices.GetRequiredService<IGrainStorageSerializer>();

    private IGrainStorage GrainStorage => SiloServices.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState);

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

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find()).ConfigureAwait(false);
        AzuriteProcessId = _azurite.ProcessId;
        try
        {
            _silo = BuildSilo(_azurite.ConnectionString, ClusterId);
            await _silo.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        var (silo, azurite) = (_silo, _azurite);
        (_silo, _azurite) = (null, null);
        await ServiceFixture.StopAsync(null, silo, azurite).ConfigureAwait(false);
    }

    /// <summary>Builds (does not start) the silo on the fixture's Azurite, normally with <see cref="TestSilo.Build"/>.</summary>
    protected abstract IHost BuildSilo(string storageConnectionString, string clusterId);

    private static InvalidOperationException NotStarted() => new("The fixture has not started.");
}
