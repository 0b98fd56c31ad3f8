using Microsoft.Extensions.DependencyInjection;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Api;
using OrleansSettlement.Service.Tests.Banking;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Observability;

/// <summary>
/// The whole service (Azurite, one silo, the API on Kestrel) with one bank signing its notes in Key Vault (the local
/// fake vault over HTTPS), so that a checkout's trace holds storage, grain-call and Key Vault spans. Both hosts export
/// over OTLP, so their production telemetry (sources, sampler, instrumentation) is what decides which spans are
/// recorded; the endpoint is a free local port where nothing listens, so nothing is received and exports fail quietly.
/// </summary>
public sealed class ObservabilityFixture : SigningServiceFixture
{
    private readonly string _otlpEndpoint = $"http://127.0.0.1:{FreePorts.Take(1)[0]}";

    public string VaultBank { get; } = "kv-" + Guid.NewGuid().ToString("N")[..8];

    private readonly SemaphoreSlim _vaultBankGate = new(1, 1);
    private ApiBank? _vaultBank;

    public FakeKeyVault Vault { get; private set; } = null!;

    /// <summary>The bank whose notes are signed in the vault, created through the API on first use (its signer
    /// configuration names it, so there is one per fixture).</summary>
    public async Task<ApiBank> VaultBankAsync(SigningParties parties)
    {
        ArgumentNullException.ThrowIfNull(parties);
        await _vaultBankGate.WaitAsync();
        try
        {
            return _vaultBank ??= await parties.CreateBankAsync(name: VaultBank);
        }
        finally
        {
            _vaultBankGate.Release();
        }
    }

    protected override async Task BeforeStartAsync()
    {
        Vault = await FakeKeyVault.StartAsync();
        Vault.CreateKey("notes");
    }

    protected override async Task AfterStopAsync()
    {
        await Vault.DisposeAsync();
        _vaultBankGate.Dispose();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraApiSettings() =>
    [
        new(SiloConfiguration.OtlpEndpointSetting, _otlpEndpoint),
    ];

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSiloSettings() =>
    [
        new(SiloConfiguration.OtlpEndpointSetting, _otlpEndpoint),
        new($"{ConfiguredNoteKeySource.SectionName}:{VaultBank}:Kind", "KeyVault"),
        new($"{ConfiguredNoteKeySource.SectionName}:{VaultBank}:VaultUri", Vault.VaultUri.ToString()),
        new($"{ConfiguredNoteKeySource.SectionName}:{VaultBank}:KeyName", "notes"),
    ];

    protected override void ConfigureSiloServices(IServiceCollection services)
    {
        services.AddSingleton<Azure.Core.TokenCredential>(new FixedTokenCredential(FakeKeyVault.Token));
        services.AddSingleton<KeyVaultClientOptions>(Vault.ClientOptions());
    }
}

/// <summary>
/// The observability tests run with nothing else in the process: activity and meter listeners are process-wide, and the
/// counters they read must move for this collection's checkouts only.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ObservabilityCollection : ICollectionFixture<ObservabilityFixture>
{
    public const string Name = "Observability";
}

/// <summary>The parties of the demo's group checkout, made through the API, and the checkout run to its end.</summary>
public sealed class DemoCheckout(string store, string checkoutId, CheckoutInfo outcome, IReadOnlyDictionary<string, string> banks)
{
    public string Store { get; } = store;

    public string CheckoutId { get; } = checkoutId;

    public CheckoutInfo Outcome { get; } = outcome;

    /// <summary>The three banks by role: <c>vault</c> (two payers, signs in Key Vault), <c>local</c> (one payer), <c>store</c>.</summary>
    public IReadOnlyDictionary<string, string> Banks { get; } = banks;

    /// <summary>
    /// The parties of <c>./settle demo</c>'s shape (3 payers at 2 banks, the store at a third) with their notes, made before
    /// <paramref name="beforeCheckout"/> runs; then one group checkout over HTTP from opening to settled.
    /// </summary>
    public static async Task<DemoCheckout> RunAsync(SigningParties parties, ApiBank vaultBank, Action beforeCheckout)
    {
        ArgumentNullException.ThrowIfNull(parties);
        ArgumentNullException.ThrowIfNull(vaultBank);
        ArgumentNullException.ThrowIfNull(beforeCheckout);
        var localBank = await parties.CreateBankAsync("local");
        var storeBank = await parties.CreateBankAsync("shop-bank");
        var store = await parties.CreateStoreAsync(storeBank);
        var alice = await parties.CreatePayerAsync(vaultBank, 10_000, "alice");
        var bob = await parties.CreatePayerAsync(localBank, 10_000, "bob");
        var carol = await parties.CreatePayerAsync(vaultBank, 10_000, "carol");
        var aliceNotes = (await alice.Wallet.WithdrawAsync([5_000])).Notes;
        var bobNotes = (await bob.Wallet.WithdrawAsync([2_000, 2_000])).Notes;
        var carolNotes = (await carol.Wallet.WithdrawAsync([5_000, 500])).Notes;

        beforeCheckout();
        var checkout = await store.Session.OpenCheckoutAsync("order-" + Guid.NewGuid().ToString("N")[..8], SigningParties.Currency, 12_000, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 coffees"));
        await GroupCheckoutDrive.PayAsync(
            store,
            checkout.CheckoutId,
            new ApiShare(alice, vaultBank.Name, 4_000, aliceNotes),
            new ApiShare(bob, localBank.Name, 3_000, bobNotes),
            new ApiShare(carol, vaultBank.Name, 5_000, carolNotes));

        var outcome = await store.Session.WaitForOutcomeAsync(checkout.CheckoutId, TimeSpan.FromSeconds(60));
        Assert.True(outcome.Stage == CheckoutStages.Settled, $"{outcome.Stage}: {outcome.AbortReason?.Code} {outcome.AbortReason?.Detail}");
        var banks = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["vault"] = vaultBank.Name,
            ["local"] = localBank.Name,
            ["store"] = storeBank.Name,
        };
        return new DemoCheckout(store.Name, checkout.CheckoutId, outcome, banks);
    }
}
