using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Banking;

namespace OrleansSettlement.Service.Tests.KeyVault;

/// <summary>The Key Vault flow service (one bank signing in the local fake vault) that also exposes the silo's storage,
/// so a test can read the stored rows and check the system invariants.</summary>
public sealed class KeyVaultThrottlingFixture : SigningServiceFixture
{
    private IServiceProvider? _siloServices;

    public string VaultBank { get; } = "kv-" + Guid.NewGuid().ToString("N")[..8];

    public FakeKeyVault Vault { get; private set; } = null!;

    public string StorageConnectionString => SiloServices.GetRequiredService<IConfiguration>()["ConnectionStrings:Storage"]
        ?? throw new InvalidOperationException("The silo has no storage connection string.");

    public IGrainStorageSerializer StorageSerializer => SiloServices.GetRequiredService<IGrainStorageSerializer>();

    private IServiceProvider SiloServices => _siloServices ?? throw new InvalidOperationException("The fixture has not started.");

    public Task AssertInvariantsAsync() => Invariants.SystemInvariants.AssertHoldAsync(StorageConnectionString, StorageSerializer);

    protected override async Task BeforeStartAsync()
    {
        Vault = await FakeKeyVault.StartAsync();
        Vault.CreateKey("notes");
    }

    protected override async Task AfterStopAsync() => await Vault.DisposeAsync();

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSiloSettings() =>
    [
        new($"{ConfiguredNoteKeySource.SectionName}:{VaultBank}:Kind", "KeyVault"),
        new($"{ConfiguredNoteKeySource.SectionName}:{VaultBank}:VaultUri", Vault.VaultUri.ToString()),
        new($"{ConfiguredNoteKeySource.SectionName}:{VaultBank}:KeyName", "notes"),
    ];

    protected override void ConfigureSiloServices(IServiceCollection services)
    {
        services.AddSingleton<Azure.Core.TokenCredential>(new FixedTokenCredential(FakeKeyVault.Token));
        services.AddSingleton<KeyVaultClientOptions>(Vault.ClientOptions());
        services.AddSingleton<IHostedService>(provider =>
        {
            _siloServices = provider;
            return new NothingToRun();
        });
    }

    /// <summary>Resolved when the silo host starts: how the fixture gets hold of the silo's services.</summary>
    private sealed class NothingToRun : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>
/// "A 429 never blocks or splits a settlement": the payer bank's vault throttles the change-note signing of S10 for longer
/// than the Key Vault client's own retries; the bank part retries S10 from its persisted plan (same change serial), and the
/// checkout settles exactly once.
/// </summary>
public sealed class KeyVaultThrottlingTests(KeyVaultThrottlingFixture service) : IClassFixture<KeyVaultThrottlingFixture>, IDisposable
{
    /// <summary>The client's attempts per operation (<see cref="KeyVaultClientOptions"/>: 1 + MaxRetries), plus one: the first
    /// S10 attempt gives up, the grain's retry meets one more 429 and then signs.</summary>
    private static readonly int Throttled = new KeyVaultClientOptions().Retry.MaxRetries + 2;

    private readonly SigningParties _parties = new(service);

    [Fact]
    public async Task Checkout_WhenTheVaultThrottlesChangeSigningBeyondClientRetries_SettlesExactlyOnce()
    {
        var vaultBank = await _parties.CreateBankAsync(name: service.VaultBank);
        var localBank = await _parties.CreateBankAsync("local");
        var store = await _parties.CreateStoreAsync(localBank);
        var payer = await _parties.CreatePayerAsync(vaultBank, 10_000);
        var notes = (await payer.Wallet.WithdrawAsync([1_000])).Notes;
        var pending = await _parties.SubmitAsync(store, payer, notes, 700); // the companion pays 100 with no change
        var requestsBefore = service.Vault.Requests.Count;
        var signsBefore = service.Vault.SignRequests;

        // The notes exist; the next vault requests (the S10 change signing) are throttled, Retry-After: 1 s.
        for (var i = 0; i < Throttled; i++)
        {
            service.Vault.FailNext(429, retryAfterSeconds: 1);
        }

        var clock = Stopwatch.StartNew();
        var outcome = await _parties.AnswerAndWaitAsync(store, pending);
        clock.Stop();

        Assert.True(outcome.Stage == CheckoutStages.Settled, $"{outcome.Stage}: {outcome.AbortReason?.Code} {outcome.AbortReason?.Detail}");

        // The vault answered the throttled sign requests with 429, then exactly one sign succeeded.
        var requests = service.Vault.Requests.Skip(requestsBefore).ToList();
        var throttled = requests.Where(r => r.Status == 429).ToList();
        Assert.Equal(Throttled, throttled.Count);
        Assert.All(throttled, r => Assert.EndsWith("/sign", r.Path, StringComparison.Ordinal));
        Assert.Equal(1, service.Vault.SignRequests - signsBefore);
        var signed = Assert.Single(requests, r => r.Status == 200 && r.Path.EndsWith("/sign", StringComparison.Ordinal));
        Assert.True(signed.At > throttled[^1].At, "the successful sign comes after the 429s");
        Console.WriteLine(
            $"Key Vault throttling: {throttled.Count} x 429 (Retry-After 1 s) at {string.Join(", ", throttled.Select(r => r.At.TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} s; " +
            $"signed at {signed.At.TotalSeconds:F2} s; challenges answered to Settled in {clock.Elapsed.TotalSeconds:F2} s");

        // The checkout's story: COMMIT decided once, S10 settled once at each bank.
        Assert.Single(outcome.Steps, s => s.Step == "S9" && s.Detail == "commit decided");
        Assert.Single(outcome.Steps, s => s.Step == "S10" && s.Detail == $"settled at {vaultBank.Name}");
        Assert.Single(outcome.Steps, s => s.Step == "S10" && s.Detail == $"settled at {localBank.Name}");

        // The persisted plan: one change note for the payer, whose serial is the receipt's, the bank part's and the wallet's.
        var rows = await StoredRows.ReadAsync(service.StorageConnectionString);
        var plan = StoredRows.Single<BankAgreementState>(service.StorageSerializer, rows, GrainKeys.BankAgreement(vaultBank.Name, outcome.AgreementId!));
        Assert.Equal(BankPartProgress.VotedValid, plan.Stage);
        Assert.True(plan.Planned);
        var changePlan = Assert.Single(plan.Changes);
        Assert.Equal(payer.WalletId, changePlan.Wallet);
        Assert.Equal(300, changePlan.AmountMinor);

        var line = Assert.Single(outcome.Receipt!.Payers, p => p.Wallet == payer.WalletId);
        Assert.Equal(300, line.ChangeMinor);
        var receiptChange = Note.Parse(Assert.Single(line.ChangeNotes)).Value.Value;
        Assert.Equal(changePlan.Serial, receiptChange.Serial);
        Assert.Empty(Assert.Single(outcome.Receipt.Payers, p => p.Wallet == pending.Companion.WalletId).ChangeNotes);

        var part = await service.Grains.GetGrain<IBankAgreementGrain>(GrainKeys.BankAgreement(vaultBank.Name, outcome.AgreementId!)).Get();
        Assert.Equal(changePlan.Serial, Note.Parse(System.Text.Json.Nodes.JsonNode.Parse(Assert.Single(part.ChangeNoteJsons))).Value.Value.Serial);

        var spent = notes.Select(n => Note.Parse(n).Value.Value.Serial).ToHashSet(StringComparer.Ordinal);
        var walletNotes = (await payer.Wallet.GetNotesAsync()).Notes.Select(n => (Note.Parse(n.Note).Value.Value, n.State)).ToList();
        var change = Assert.Single(walletNotes, n => !spent.Contains(n.Value.Serial));
        Assert.Equal(changePlan.Serial, change.Value.Serial);
        Assert.Equal(300, change.Value.Amount.AmountMinor);
        Assert.Equal("outstanding", change.State);
        Assert.All(walletNotes.Where(n => spent.Contains(n.Value.Serial)), n => Assert.Equal("spent", n.State));
        var note = await service.Grains.GetGrain<INoteGrain>(GrainKeys.Note(vaultBank.Name, changePlan.Serial)).Get();
        Assert.NotNull(note);

        // The store is credited exactly the total, once; the payer paid its share once.
        Assert.Equal(800, (await localBank.Operator.GetAccountAsync(store.Account)).BalanceMinor);
        Assert.Equal(9_000, (await vaultBank.Operator.GetAccountAsync(payer.Account)).BalanceMinor);

        await service.AssertInvariantsAsync();
    }

    public void Dispose() => _parties.Dispose();
}
