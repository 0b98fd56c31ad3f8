using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;
using OrleansSettlement.Service.Tests.Infrastructure;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// The whole service for the bad-path tests over HTTP: Azurite (in memory, free ports), a silo wired by
/// <see cref="SiloConfiguration"/> with short periods (challenge lifetime, vote timeout, retry timers, and reminders
/// lowered to seconds) and a fault filter (<see cref="Faults"/>), and the real API on Kestrel. The silo can be stopped
/// and started again on the same storage (<see cref="RestartSiloAsync"/>): what survives is only what was persisted.
/// </summary>
public sealed class FlowFixture : IAsyncLifetime
{
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromSeconds(6);
    public static readonly TimeSpan VoteTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromSeconds(2);

    /// <summary>The admin token the API accepts in tests (its SHA-256 is configured, never the token itself).</summary>
    public const string AdminToken = "flow-test-admin-token-0123456789abcdef";

    private AzuriteProcess? _azurite;
    private IHost? _silo;
    private WebApplication? _api;

    public string ClusterId { get; } = "flow-" + Guid.NewGuid().ToString("N")[..12];

    public Faults Faults { get; } = new();

    public string StorageConnectionString => (_azurite ?? throw new InvalidOperationException("The fixture has not started.")).ConnectionString;

    public IServiceProvider SiloServices => (_silo ?? throw new InvalidOperationException("The silo is not running.")).Services;

    public IGrainFactory Grains => SiloServices.GetRequiredService<IGrainFactory>();

    public IGrainStorageSerializer StorageSerializer => SiloServices.GetRequiredService<IGrainStorageSerializer>();

    /// <summary>The API's base address (Kestrel on a free loopback port).</summary>
    public Uri ApiAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find()).ConfigureAwait(false);
        try
        {
            _silo = StartSilo();
            await _silo.StartAsync().ConfigureAwait(false);
            _api = ServiceFixture.BuildApi(StorageConnectionString, ClusterId, new Dictionary<string, string?>
            {
                ["Api:AdminTokenSha256"] = Protocol.Encoding.Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes(AdminToken)),
            });
            await _api.StartAsync().ConfigureAwait(false);
            ApiAddress = ServiceFixture.AddressOf(_api);
            using var http = new HttpClient { BaseAddress = ApiAddress };
            await ServiceFixture.WaitUntilReadyAsync(http).ConfigureAwait(false);
        }
        catch
        {
            // xUnit does not dispose a fixture whose initialization threw: stop what started here, Azurite above all.
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Checks every invariant of PROTOCOL-CHOICES.md from the stored rows (call at a quiet point).</summary>
    public Task AssertInvariantsAsync() => Invariants.SystemInvariants.AssertHoldAsync(StorageConnectionString, StorageSerializer);

    /// <summary>
    /// Stops the silo and starts a new one on the same storage and cluster (new ports). Nothing held in memory survives:
    /// votes, timers and activations are gone; persisted state and reminders carry the flow on. Returns when the API's
    /// Orleans client reaches the new silo (<c>/health/ready</c> answers 200), so the next request over HTTP is served.
    /// </summary>
    public async Task RestartSiloAsync()
    {
        await StopSiloAsync().ConfigureAwait(false);
        await StartNewSiloAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Shuts the silo down in order, as a rolling deploy does (every activation deactivates and may write what it must),
    /// then starts a new one on the same storage and cluster, and returns when the API reaches it.
    /// </summary>
    public async Task RestartSiloInOrderAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync(CancellationToken.None).ConfigureAwait(false);
            _silo.Dispose();
            _silo = null;
        }

        await StartNewSiloAsync().ConfigureAwait(false);
    }

    private async Task StartNewSiloAsync()
    {
        _silo = StartSilo();
        await _silo.StartAsync().ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = ApiAddress };
        await ServiceFixture.WaitUntilReadyAsync(http).ConfigureAwait(false);
    }

    /// <summary>Stops the silo at once (activations are not given time to finish their work); <see cref="RestartSiloAsync"/>
    /// starts a new one.</summary>
    public async Task StopSiloAsync()
    {
        if (_silo is null)
        {
            return;
        }

        using var hurry = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        try
        {
            await _silo.StopAsync(hurry.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _silo.Dispose();
        _silo = null;
    }

    public async Task DisposeAsync()
    {
        await ServiceFixture.StopAsync(_api, _silo, _azurite).ConfigureAwait(false);
    }

    private IHost StartSilo()
    {
        var seconds = (TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
        var settings = new Dictionary<string, string?>
        {
            ["Checkout:ChallengeLifetime"] = seconds(ChallengeLifetime),
            ["Checkout:VoteTimeout"] = seconds(VoteTimeout),
            ["Checkout:RetryPeriod"] = "00:00:00.5",
            ["Checkout:ReminderPeriod"] = seconds(ReminderPeriod),
            ["Banking:RetryPeriod"] = "00:00:00.5",
            ["Banking:ReminderPeriod"] = seconds(ReminderPeriod),
        };
        return TestSilo.Build(StorageConnectionString, ClusterId, settings, silo =>
        {
            silo.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Services.AddSingleton(Faults);
            silo.AddIncomingGrainCallFilter<FaultFilter>();
        });
    }
}

/// <summary>The bad-path tests over HTTP share one service.</summary>
[CollectionDefinition(Name)]
public sealed class FlowCollection : ICollectionFixture<FlowFixture>
{
    public const string Name = "Flow";
}
