using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Api;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Infrastructure;

/// <summary>
/// The whole service for the tests of one collection: Azurite (in memory, free ports), one real silo wired by
/// <see cref="SiloConfiguration"/> (Azure Table clustering, grain storage and reminders on that Azurite) and the real
/// API application (<see cref="ApiHost"/>) on Kestrel at a free loopback port.
/// </summary>
/// <remarks>Set SETTLE_TEST_LOGS=1 to see the silo's and the API's logs on the console.</remarks>
public sealed class ServiceFixture : IAsyncLifetime
{
    /// <summary>A route the tests add to the API to see how an unhandled exception is answered.</summary>
    public const string ThrowingPath = "/_test/throw";

    /// <summary>A route that fails as a call does while a silo has just died (an Orleans rejection).</summary>
    public const string UnavailablePath = "/_test/unavailable";

    /// <summary>A route that fails as a grain call does when storage fails under the grain (503 from Azure Storage).</summary>
    public const string StorageUnavailablePath = "/_test/storage-unavailable";

    /// <summary>The message of the exception thrown there; it must never reach a client.</summary>
    public const string SecretExceptionMessage = "internal detail that must not leak";

    private AzuriteProcess? _azurite;
    private IHost? _silo;
    private WebApplication? _api;

    public string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    public string StorageConnectionString => Azurite.ConnectionString;

    internal AzuriteProcess Azurite => _azurite ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The silo's grain factory (calls go straight into the in-process silo).</summary>
    public IGrainFactory Grains => (_silo ?? throw new InvalidOperationException("The fixture has not started.")).Services.GetRequiredService<IGrainFactory>();

    /// <summary>An HTTP client for the API, on its real socket.</summary>
    public HttpClient Api { get; private set; } = null!;

    public static bool ShowLogs => Environment.GetEnvironmentVariable("SETTLE_TEST_LOGS") == "1";

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find()).ConfigureAwait(false);
        try
        {
            _silo = TestSilo.Build(StorageConnectionString, ClusterId);
            await _silo.StartAsync().ConfigureAwait(false);

            _api = BuildApi(StorageConnectionString, ClusterId);
            _api.MapGet(ThrowingPath, () => Results.Text(Throw()));
            _api.MapGet(UnavailablePath, () => Results.Text(ThrowUnavailable()));
            _api.MapGet(StorageUnavailablePath, () => Results.Text(ThrowStorageUnavailable()));
            await _api.StartAsync().ConfigureAwait(false);
            Api = new HttpClient { BaseAddress = AddressOf(_api), Timeout = TimeSpan.FromSeconds(30) };
            await WaitUntilReadyAsync(Api).ConfigureAwait(false);
        }
        catch
        {
            // xUnit does not dispose a fixture whose initialization threw: stop what started here, Azurite above all.
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        await StopAsync(_api, _silo, _azurite).ConfigureAwait(false);
        (_api, _silo, _azurite) = (null, null, null);
    }

    /// <summary>Stops what a fixture started, in order (the API, the silo, then Azurite), any of them null; Azurite is
    /// stopped even when stopping the others throws, so no emulator outlives a failed test run.</summary>
    public static async Task StopAsync(WebApplication? api, IHost? silo, AzuriteProcess? azurite)
    {
        try
        {
            if (api is not null)
            {
                await api.StopAsync().ConfigureAwait(false);
                await api.DisposeAsync().ConfigureAwait(false);
            }

            if (silo is not null)
            {
                try
                {
                    await silo.StopAsync().ConfigureAwait(false);
                }
                finally
                {
                    silo.Dispose();
                }
            }
        }
        finally
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Builds (does not start) the real API application on a free loopback port.</summary>
    public static WebApplication BuildApi(string storageConnectionString, string clusterId, IDictionary<string, string?>? settings = null) =>
        ApiHost.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Storage"] = storageConnectionString,
                ["Orleans:ClusterId"] = clusterId,
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }

            builder.WebHost.UseUrls("http://127.0.0.1:0");
            if (!ShowLogs)
            {
                builder.Logging.ClearProviders();
            }
        });

    /// <summary>The address Kestrel bound (the app listens on port 0 until started).</summary>
    public static Uri AddressOf(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("Kestrel reports no address.");
        return new Uri(addresses.First());
    }

    internal static async Task WaitUntilReadyAsync(HttpClient api)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string last = "(no answer)";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.GetAsync(new Uri("/health/ready", UriKind.Relative)).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            last = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new TimeoutException("The API did not become ready within 60 s. Last answer: " + last);
    }

    private static string Throw() => throw new InvalidOperationException(SecretExceptionMessage);

    private static string ThrowUnavailable() => throw new SiloUnavailableException(SecretExceptionMessage);

    private static string ThrowStorageUnavailable() => throw new Azure.RequestFailedException(503, SecretExceptionMessage);
}

/// <summary>The tests that share one running service.</summary>
[CollectionDefinition(Name)]
public sealed class ServiceCollection : ICollectionFixture<ServiceFixture>
{
    public const string Name = "Service";
}
