using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansSettlement.Chaos.Faults;
using OrleansSettlement.Contracts;
using OrleansSettlement.Silo;
using OrleansSettlement.Testing.Azurite;

namespace OrleansSettlement.Chaos.Cluster;

/// <summary>
/// The cluster a chaos run drives: Azurite with durable data, <see cref="ChaosSettings.Silos"/> silos in this process wired
/// by <see cref="SiloConfiguration"/> (Azure Table clustering, grain storage and reminders) plus the chaos additions
/// (the storage decorator, the duplicating call filter, short periods and membership timeouts), and an Orleans client
/// that reaches them through their gateways as the API does. A silo is killed without a graceful stop (its host is stopped
/// with an already-cancelled token and disposed: no deactivation, no goodbye to the membership table) and started again
/// on new ports; Azurite is stopped and started on the same data.
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    private readonly ChaosSettings _settings;
    private readonly AzuriteProcess _azurite;
    private readonly IHost?[] _silos;
    private readonly SemaphoreSlim _faultGate = new(1, 1);
    private IHost? _client;

    private ChaosCluster(ChaosSettings settings, AzuriteProcess azurite)
    {
        _settings = settings;
        _azurite = azurite;
        _silos = new IHost?[settings.Silos];
    }

    public FaultBoard Board { get; } = new();

    public string ClusterId { get; } = "chaos-" + Guid.NewGuid().ToString("N")[..10];

    public string ServiceId { get; } = "chaos";

    public string StorageConnectionString => _azurite.ConnectionString;

    public string StorageLocation => _settings.StorageLocation;

    /// <summary>Azurite with durable data (<c>--location</c> <see cref="StorageLocation"/>) on ports fixed for the run, so
    /// that it can be stopped (SIGTERM, which saves its database) and started again under running silos.</summary>
    public AzuriteProcess Azurite => _azurite;

    public IGrainFactory Grains => (_client ?? throw new InvalidOperationException("the cluster has not started.")).Services.GetRequiredService<IClusterClient>();

    /// <summary>The grain storage serializer the silos write with (to decode stored rows as they wrote them).</summary>
    public Orleans.Storage.IGrainStorageSerializer StorageSerializer =>
        (_silos.FirstOrDefault(s => s is not null) ?? throw new InvalidOperationException("no silo is running.")).Services.GetRequiredService<Orleans.Storage.IGrainStorageSerializer>();

    public int SilosUp => _silos.Count(s => s is not null);

    public static async Task<ChaosCluster> StartAsync(ChaosSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var azurite = await SetUpAsync(() => AzuriteProcess.StartAsync(AzuriteOptions.Durable(settings.AzuriteExecutable, settings.StorageLocation))).ConfigureAwait(false);
        var cluster = new ChaosCluster(settings, azurite);
        try
        {
            for (var index = 0; index < settings.Silos; index++)
            {
                await cluster.StartSiloAsync(index).ConfigureAwait(false);
            }

            cluster._client = cluster.BuildClient();
            await cluster._client.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return cluster;
    }

    /// <summary>
    /// Kills silo <paramref name="index"/> without a graceful stop, waits <paramref name="downtime"/>, starts a new silo in
    /// its place. Only one cluster fault (a silo down, Azurite down) at a time: returns false without doing anything when
    /// another is in progress.
    /// </summary>
    public async Task<bool> KillAndRestartSiloAsync(int index, TimeSpan downtime)
    {
        if (!await _faultGate.WaitAsync(0).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            Board.RecordForAll($"cluster: silo {index} (port {SiloPort(index)}) killed");
            await KillSiloAsync(index).ConfigureAwait(false);
            await Task.Delay(downtime).ConfigureAwait(false);
            await StartSiloAsync(index).ConfigureAwait(false);
            Board.RecordForAll($"cluster: silo {index} started again (port {SiloPort(index)})");
            return true;
        }
        finally
        {
            _faultGate.Release();
        }
    }

    /// <summary>Stops Azurite (SIGTERM), waits <paramref name="downtime"/>, starts it on the same data and ports. Waits for a
    /// silo fault in progress to end first.</summary>
    public async Task RestartAzuriteAsync(TimeSpan downtime)
    {
        await _faultGate.WaitAsync().ConfigureAwait(false);
        try
        {
            Board.RecordForAll("cluster: Azurite stopped");
            await SetUpAsync(async () =>
            {
                await _azurite.RestartAsync(downtime).ConfigureAwait(false);
                return _azurite;
            }).ConfigureAwait(false);
            Board.RecordForAll("cluster: Azurite started again");
        }
        finally
        {
            _faultGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await StopQuietly(_client).ConfigureAwait(false);
        }

        for (var index = 0; index < _silos.Length; index++)
        {
            if (_silos[index] is { } silo)
            {
                _silos[index] = null;
                await StopQuietly(silo).ConfigureAwait(false);
            }
        }

        await _azurite.DisposeAsync().ConfigureAwait(false);
        _faultGate.Dispose();
    }

    private static async Task StopQuietly(IHost host)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or Orleans.Runtime.OrleansException)
        {
        }

        host.Dispose();
    }

    /// <summary>The silo port of silo <paramref name="index"/> (the histories name silos by it), or 0 when it is down.</summary>
    private int SiloPort(int index) => _silos[index]?.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.Port ?? 0;

    private async Task KillSiloAsync(int index)
    {
        var silo = _silos[index];
        _silos[index] = null;
        if (silo is null)
        {
            return;
        }

        // An already-cancelled token is TestCluster.KillSiloAsync's way: the silo's lifecycle stops at once, without
        // deactivating grains or telling the membership table; the others find out by their probes.
        try
        {
            await silo.StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
        }

        silo.Dispose();
    }

    /// <summary>Azurite that cannot be started (or started again) is a setup failure of the run, not a finding.</summary>
    private static async Task<AzuriteProcess> SetUpAsync(Func<Task<AzuriteProcess>> start)
    {
        try
        {
            return await start().ConfigureAwait(false);
        }
        catch (AzuriteStartException failure)
        {
            throw new ChaosSetupException(failure.Message, failure);
        }
    }

    private async Task StartSiloAsync(int index)
    {
        var silo = BuildSilo();
        await silo.StartAsync().ConfigureAwait(false);
        _silos[index] = silo;
    }

    private IHost BuildSilo()
    {
        var ports = FreePorts.Take(2);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var period = (TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Storage"] = _azurite.ConnectionString,
            ["Orleans:ClusterId"] = ClusterId,
            ["Orleans:ServiceId"] = ServiceId,
            ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Checkout:ChallengeLifetime"] = period(ChaosSettings.ChallengeLifetime),
            ["Checkout:VoteTimeout"] = period(ChaosSettings.VoteTimeout),
            ["Checkout:RetryPeriod"] = period(ChaosSettings.RetryPeriod),
            ["Checkout:ReminderPeriod"] = period(ChaosSettings.ReminderPeriod),
            ["Banking:RetryPeriod"] = period(ChaosSettings.RetryPeriod),
            ["Banking:ReminderPeriod"] = period(ChaosSettings.ReminderPeriod),
        });
        if (_settings.ShowLogs)
        {
            builder.Logging.AddSimpleConsole(options => options.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        }

        builder.UseOrleans(silo =>
        {
            SiloConfiguration.Configure(silo, builder.Configuration);
            ConfigureChaos(silo);
        });
        return builder.Build();
    }

    /// <summary>What a chaos silo adds to the production wiring; production defaults stay as they are.</summary>
    private void ConfigureChaos(ISiloBuilder silo)
    {
        silo.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1));

        // A killed silo is declared dead within a few seconds instead of about a minute: probes every second, two
        // missed probes and one vote suffice (three silos), and the table is read again every two seconds.
        silo.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = TimeSpan.FromSeconds(1);
            options.NumMissedProbesLimit = 2;
            options.NumVotesForDeathDeclaration = 1;
            options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
            options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            options.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(20);
        });
        silo.Configure<SiloMessagingOptions>(options => options.ResponseTimeout = ChaosSettings.CallTimeout);

        // A scenario's grains are idle once it ends: collect them after a minute (production: 15), so a long soak's silos
        // hold only the scenarios in flight.
        silo.Configure<GrainCollectionOptions>(options =>
        {
            options.CollectionAge = TimeSpan.FromMinutes(1);
            options.CollectionQuantum = TimeSpan.FromSeconds(20);
        });
        silo.Services.AddSingleton(Board);
        FaultyGrainStorage.Decorate(silo.Services, StorageNames.GrainState, Board);
        silo.AddOutgoingGrainCallFilter<DuplicatingCallFilter>();
        silo.AddIncomingGrainCallFilter<HistoryCallFilter>();
    }

    private IHost BuildClient()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = ClusterId;
                options.ServiceId = ServiceId;
            });
            client.UseAzureStorageClustering(options =>
            {
                options.TableName = StorageNames.MembershipTable;
                options.TableServiceClient = new TableServiceClient(_azurite.ConnectionString);
            });
            client.Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
            client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = ChaosSettings.CallTimeout);
        });
        return builder.Build();
    }
}
