using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;
using OrleansSettlement.Api;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Infrastructure;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>
/// The whole service for the API tests: Azurite (in memory, free ports), one real silo (as <see cref="SiloConfiguration"/>
/// wires it, with the checkout and bank grains' short test periods) and the real API application (<see cref="ApiHost"/>)
/// on Kestrel at a free loopback port, configured with an admin token's hash. Tests talk to it over real HTTP only.
/// </summary>
/// <remarks>Set SETTLE_TEST_LOGS=1 to see the silo's and the API's logs on the console.</remarks>
public sealed class ApiFixture : IAsyncLifetime
{
    /// <summary>How long a payer has to answer a challenge in these tests.</summary>
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromSeconds(30);

    private AzuriteProcess? _azurite;
    private IHost? _silo;
    private WebApplication? _api;

    public string ClusterId { get; } = "api-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The admin's token; the API is configured with its SHA-256 only (Api:AdminTokenSha256).</summary>
    public BearerToken AdminToken { get; } = BearerToken.Create();

    /// <summary>The API's address on its real socket.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A plain HTTP client for the API (for requests the SDK would never make).</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The SDK over <see cref="Http"/>.</summary>
    public SettlementClient Client { get; private set; } = null!;

    public string StorageConnectionString => (_azurite ?? throw new InvalidOperationException("The fixture has not started.")).ConnectionString;

    /// <summary>The silo's grain factory, to look behind the API (never to act instead of it).</summary>
    public IGrainFactory Grains => Silo.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The running API's services, to enumerate its endpoints (<c>EndpointDataSource</c>) as the app routes them.</summary>
    public IServiceProvider ApiServices => (_api ?? throw new InvalidOperationException("The fixture has not started.")).Services;

    /// <summary>The silo's grain storage serializer, to decode stored rows as the silo wrote them.</summary>
    public IGrainStorageSerializer StorageSerializer => Silo.Services.GetRequiredService<IGrainStorageSerializer>();

    private IHost Silo => _silo ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Checks every invariant of PROTOCOL-CHOICES.md from the stored rows (call at a quiet point).</summary>
    public Task AssertInvariantsAsync() => Invariants.SystemInvariants.AssertHoldAsync(StorageConnectionString, StorageSerializer);

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find()).ConfigureAwait(false);
        try
        {
            _silo = BuildSilo(_azurite.ConnectionString, ClusterId);
            await _silo.StartAsync().ConfigureAwait(false);

            _api = ServiceFixture.BuildApi(_azurite.ConnectionString, ClusterId, new Dictionary<string, string?> { ["Api:AdminTokenSha256"] = AdminToken.Sha256 });
            await _api.StartAsync().ConfigureAwait(false);
            BaseAddress = ServiceFixture.AddressOf(_api);
            Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            Client = new SettlementClient(Http);
            await ServiceFixture.WaitUntilReadyAsync(Http).ConfigureAwait(false);
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
        Http?.Dispose();
        await ServiceFixture.StopAsync(_api, _silo, _azurite).ConfigureAwait(false);
    }

    private static IHost BuildSilo(string storage, string clusterId) =>
        TestSilo.Build(storage, clusterId, new Dictionary<string, string?>
        {
            [$"{CheckoutOptions.SectionName}:{nameof(CheckoutOptions.ChallengeLifetime)}"] = ChallengeLifetime.ToString("c", CultureInfo.InvariantCulture),
            [$"{CheckoutOptions.SectionName}:{nameof(CheckoutOptions.RetryPeriod)}"] = "00:00:00.5",
            [$"{BankingOptions.SectionName}:{nameof(BankingOptions.RetryPeriod)}"] = "00:00:00.5",
        });
}

/// <summary>The API tests that share one running service.</summary>
[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "Api";
}
