using Microsoft.Extensions.DependencyInjection;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Banking;

namespace OrleansSettlement.Service.Tests.KeyVault;

/// <summary>The service with one bank configured to sign in Key Vault (the local fake vault over HTTPS).</summary>
public sealed class KeyVaultFlowFixture : SigningServiceFixture
{
    public string VaultBank { get; } = "kv-" + Guid.NewGuid().ToString("N")[..8];

    public FakeKeyVault Vault { get; private set; } = null!;

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
    }
}

public sealed class KeyVaultFlowTests(KeyVaultFlowFixture service) : IClassFixture<KeyVaultFlowFixture>, IDisposable
{
    private readonly SigningParties _parties = new(service);

    [Fact]
    public async Task Checkout_WithAKeyVaultBank_SettlesAndChangeIsSignedInTheVault()
    {
        var vaultBank = await _parties.CreateBankAsync(name: service.VaultBank);
        var localBank = await _parties.CreateBankAsync("local");
        var store = await _parties.CreateStoreAsync(localBank);
        var payer = await _parties.CreatePayerAsync(vaultBank, 10_000);
        var notes = (await payer.Wallet.WithdrawAsync([1_000])).Notes;
        var signsBefore = service.Vault.SignRequests;
        var pending = await _parties.SubmitAsync(store, payer, notes, 700);
        var signsAfterSubmit = service.Vault.SignRequests; // the companion's withdrawal of one note

        var outcome = await _parties.AnswerAndWaitAsync(store, pending);
        var signsAfterSettle = service.Vault.SignRequests;

        Assert.True(outcome.Stage == CheckoutStages.Settled, $"{outcome.Stage}: {outcome.AbortReason?.Code} {outcome.AbortReason?.Detail}");
        Assert.Equal(1, signsAfterSubmit - signsBefore);
        var perCheckout = signsAfterSettle - signsAfterSubmit;
        Console.WriteLine($"Key Vault sign operations for one checkout (2 payers, 1 with change): {perCheckout}; get-key operations in all: {service.Vault.GetKeyRequests}");
        Assert.Equal(1, perCheckout);

        // Every note of the vault bank names a kid that its JWKS publishes, and verifies with it (any ES256 verifier).
        var jwks = await _parties.Client.GetInstitutionKeysAsync(vaultBank.Name);
        var change = Assert.Single(Assert.Single(outcome.Receipt!.Payers, p => p.Wallet == payer.WalletId).ChangeNotes);
        foreach (var note in notes.Append(change))
        {
            var parsed = Note.Parse(note).Value;
            var key = PublicJwk.Parse(jwks.Keys.Single(k => k["kid"]!.GetValue<string>() == parsed.Value.IssuerKeyId)).Value;
            Assert.Null(Note.Check(parsed, vaultBank.Name, key, payer.WalletId, DateTimeOffset.UtcNow));
        }

        // The vault bank's key material holds no private key.
        var material = await service.Grains.GetGrain<IInstitutionKeysGrain>(vaultBank.Name).GetKeyMaterial();
        var noteKey = Assert.Single(material!.NoteKeys);
        Assert.Equal("", noteKey.PrivateJwkJson);
        Assert.StartsWith(service.Vault.VaultUri.GetLeftPart(UriPartial.Authority) + "/keys/notes/", noteKey.ExternalKeyId, StringComparison.Ordinal);
    }

    public void Dispose() => _parties.Dispose();
}
