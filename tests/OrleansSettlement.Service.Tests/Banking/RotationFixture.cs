using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Api;
using OrleansSettlement.Service.Tests.Infrastructure;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>
/// The whole service (Azurite, one silo wired by <see cref="SiloConfiguration"/>, the API on Kestrel) with
/// <c>Banking:ProfileCacheLifetime</c> = 0, so a rotation or revocation is seen by the next S8 and by the signing worker
/// at once: the key tests are deterministic. (A checkout's institution directory keeps profiles for 1 min per checkout
/// activation, starting from one at most 5 s old; every test uses a new bank and new checkouts.) Subclasses add configuration (the Key Vault
/// signer tests point a bank at a local fake vault).
/// </summary>
public class SigningServiceFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;
    private IHost? _silo;
    private WebApplication? _api;

    public string ClusterId { get; } = "keys-" + Guid.NewGuid().ToString("N")[..12];

    public BearerToken AdminToken { get; } = BearerToken.Create();

    public HttpClient Http { get; private set; } = null!;

    public SettlementClient Client { get; private set; } = null!;

    public IGrainFactory Grains => (_silo ?? throw new InvalidOperationException("The fixture has not started.")).Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        await BeforeStartAsync().ConfigureAwait(false);
        _azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find()).ConfigureAwait(false);
        var settings = new Dictionary<string, string?>
        {
            [$"{CheckoutOptions.SectionName}:{nameof(CheckoutOptions.ChallengeLifetime)}"] = "00:00:30",
            [$"{CheckoutOptions.SectionName}:{nameof(CheckoutOptions.RetryPeriod)}"] = "00:00:00.5",
            [$"{BankingOptions.SectionName}:{nameof(BankingOptions.RetryPeriod)}"] = "00:00:00.5",
            [$"{BankingOptions.SectionName}:{nameof(BankingOptions.ProfileCacheLifetime)}"] = "00:00:00",
        };
        foreach (var (key, value) in ExtraSiloSettings())
        {
            settings[key] = value;
        }

        _silo = TestSilo.Build(_azurite.ConnectionString, ClusterId, settings, silo => ConfigureSiloServices(silo.Services));
        await _silo.StartAsync().ConfigureAwait(false);

        var apiSettings = new Dictionary<string, string?> { ["Api:AdminTokenSha256"] = AdminToken.Sha256 };
        foreach (var (key, value) in ExtraApiSettings())
        {
            apiSettings[key] = value;
        }

        _api = ServiceFixture.BuildApi(_azurite.ConnectionString, ClusterId, apiSettings);
        await _api.StartAsync().ConfigureAwait(false);
        Http = new HttpClient { BaseAddress = ServiceFixture.AddressOf(_api), Timeout = TimeSpan.FromSeconds(30) };
        Client = new SettlementClient(Http);
        await ServiceFixture.WaitUntilReadyAsync(Http).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_api is not null)
        {
            await _api.StopAsync().ConfigureAwait(false);
            await _api.DisposeAsync().ConfigureAwait(false);
        }

        if (_silo is not null)
        {
            await _silo.StopAsync().ConfigureAwait(false);
            _silo.Dispose();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync().ConfigureAwait(false);
        }

        await AfterStopAsync().ConfigureAwait(false);
    }

    /// <summary>Runs before anything starts (a fake vault starts here).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    protected virtual Task AfterStopAsync() => Task.CompletedTask;

    /// <summary>More silo configuration.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSiloSettings() => [];

    /// <summary>More API configuration.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraApiSettings() => [];

    /// <summary>More silo services (registered after the silo's own).</summary>
    protected virtual void ConfigureSiloServices(IServiceCollection services)
    {
    }

}

/// <summary>The local-signer service of the rotation tests.</summary>
public sealed class RotationFixture : SigningServiceFixture
{
}

[CollectionDefinition(Name)]
public sealed class RotationCollection : ICollectionFixture<RotationFixture>
{
    public const string Name = "Rotation";
}

/// <summary>Parties and one-call checkouts for the signing tests, through the API as partners make them.</summary>
public sealed class SigningParties(SigningServiceFixture service) : IDisposable
{
    public const string Currency = "EUR";

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);

    private readonly List<LocalSigner> _keys = [];

    private readonly Dictionary<string, ApiBank> _banks = new(StringComparer.Ordinal);

    public SettlementClient Client => service.Client;

    public async Task<ApiBank> CreateBankAsync(string prefix = "bank", string? name = null)
    {
        name ??= ApiParties.UniqueName(prefix);
        var token = BearerToken.Create();
        await Client.Admin(service.AdminToken.Token).CreateInstitutionAsync(name, $"Bank {name}", token);
        return new ApiBank(name, token, Client.Operator(name, token.Token));
    }

    public async Task<ApiStore> CreateStoreAsync(ApiBank bank)
    {
        var name = ApiParties.UniqueName("store");
        var account = name + "-till";
        await bank.Operator.OpenAccountAsync(account, AccountOwnerKind.Store, name, Currency);
        var token = BearerToken.Create();
        await bank.Operator.CreateStoreAsync(name, $"Store {name}", account, token);
        return new ApiStore(name, bank.Name, account, token, Client.Store(name, token.Token));
    }

    public async Task<ApiPayer> CreatePayerAsync(ApiBank bank, long depositMinor, string label = "payer")
    {
        _banks[bank.Name] = bank;
        var key = LocalSigner.Generate();
        _keys.Add(key);
        var payer = new ApiPayer(label, key, Client.Wallet(key), bank.Name, ApiParties.UniqueName(label));
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, Currency);
        await bank.Operator.DepositAsync(payer.Account, depositMinor);
        await payer.Wallet.RegisterAsync(bank.Name, payer.Account);
        return payer;
    }

    /// <summary>Opens a checkout of <paramref name="shareMinor"/> paid by <paramref name="payer"/> with
    /// <paramref name="notes"/>, plus 100 paid by a companion payer at the same bank (an agreement has at least two
    /// participants), and submits the bundle (S2; the store's S3 check runs here: a refusal throws
    /// <see cref="SettlementApiException"/>).</summary>
    public async Task<PendingCheckout> SubmitAsync(ApiStore store, ApiPayer payer, IReadOnlyList<System.Text.Json.Nodes.JsonObject> notes, long shareMinor)
    {
        var companion = await CreatePayerAsync(_banks[payer.Institution], 1_000, "companion");
        var companionNotes = (await companion.Wallet.WithdrawAsync([100])).Notes;
        var checkout = await store.Session.OpenCheckoutAsync("order-" + Guid.NewGuid().ToString("N")[..8], Currency, shareMinor + 100, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("keys"));
        var proposed = await payer.Wallet.ProposeAgreementAsync(store.Name, checkout.CheckoutId,
            [new(payer.Key.PublicKey.ToJson(), payer.Institution, shareMinor), new(companion.Key.PublicKey.ToJson(), companion.Institution, 100)]);
        var bundle = new[]
        {
            await payer.Wallet.ContributionAsync(proposed.Agreement!, notes),
            await companion.Wallet.ContributionAsync(proposed.Agreement!, companionNotes),
        };
        var pending = new PendingCheckout(checkout.CheckoutId, payer, notes, companion, companionNotes);
        await payer.Wallet.SubmitBundleAsync(store.Name, checkout.CheckoutId, bundle);
        return pending;
    }

    /// <summary>Answers the challenges of a submitted checkout (S4/S5) and waits for its outcome.</summary>
    public async Task<CheckoutInfo> AnswerAndWaitAsync(ApiStore store, PendingCheckout pending)
    {
        foreach (var (payer, notes) in new[] { (pending.Payer, pending.Notes), (pending.Companion, pending.CompanionNotes) })
        {
            var challenge = Assert.Single((await payer.Wallet.GetChallengesAsync()).Challenges, c => c.CheckoutId == pending.CheckoutId);
            await payer.Wallet.AnswerChallengeAsync(challenge, notes);
        }

        return await store.Session.WaitForOutcomeAsync(pending.CheckoutId, SettleTimeout);
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}

/// <summary>A submitted checkout and what its payers answer the challenges with.</summary>
public sealed record PendingCheckout(
    string CheckoutId,
    ApiPayer Payer,
    IReadOnlyList<System.Text.Json.Nodes.JsonObject> Notes,
    ApiPayer Companion,
    IReadOnlyList<System.Text.Json.Nodes.JsonObject> CompanionNotes);
