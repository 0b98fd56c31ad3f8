using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Testing.KeyVault;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>How the bench's banks sign notes (<c>--signer</c>).</summary>
public enum BenchSigner
{
    /// <summary>The development signer: each bank's private key in grain state; no Key Vault operation.</summary>
    Development,

    /// <summary>Every bank's note key in the in-process fake Key Vault, signed through the real Key Vault adapter.</summary>
    FakeVault,
}

/// <summary>
/// The banks' note signing for a bench run. With <see cref="BenchSigner.FakeVault"/> it starts the fake Key Vault the
/// tests use (HTTPS on loopback, real P-256 keys), gives every bank a key of its own (<c>{bank}-notes</c>, as the Bicep
/// templates name them) and configures the bank, just before it is created, exactly as a deployment does
/// (<c>Signing:Institutions:{bank}</c>: Kind KeyVault, VaultUri, KeyName), so that <c>ConfiguredNoteKeySource</c>,
/// <c>KeyVaultSigner</c> and <c>KeyVaultKeysClient</c> sign the notes over HTTP and the bench counts the client's
/// operations. The silo gets the vault's token credential and client options (which trust only the vault's certificate).
/// </summary>
internal sealed class BenchSigning : IAsyncDisposable
{
    private const string KeyVaultKind = "KeyVault";

    private readonly FakeKeyVault? _vault;

    private BenchSigning(BenchSigner signer, FakeKeyVault? vault)
    {
        Signer = signer;
        _vault = vault;
    }

    public BenchSigner Signer { get; }

    /// <summary>What the report says of Key Vault in this run.</summary>
    public string Description => _vault is null
        ? "not configured: every bank signs notes with the development signer (keys in grain state), so Key Vault operations read 0"
        : "every bank signs notes through the Key Vault adapter against the in-process fake vault (--signer fake-vault): "
            + "operations are counted at the Key Vault client, one per get-key or sign after retries";

    public static async Task<BenchSigning> StartAsync(BenchSigner signer) => signer == BenchSigner.FakeVault
        ? new BenchSigning(signer, await FakeKeyVault.StartAsync().ConfigureAwait(false))
        : new BenchSigning(signer, null);

    /// <summary>Registers the vault's credential and client options in the silo (nothing for the development signer).</summary>
    public void AddTo(IServiceCollection services)
    {
        if (_vault is not null)
        {
            services.AddSingleton<Azure.Core.TokenCredential>(new FixedTokenCredential(FakeKeyVault.Token));
            services.AddSingleton(_vault.ClientOptions());
        }
    }

    /// <summary>Before bank <paramref name="bank"/> is created: its key in the vault and its signing settings in the
    /// silo's configuration (read when the bank makes its note key).</summary>
    public void PrepareBank(IConfiguration siloConfiguration, string bank)
    {
        ArgumentNullException.ThrowIfNull(siloConfiguration);
        if (_vault is null)
        {
            return;
        }

        var keyName = bank + "-notes";
        _vault.CreateKey(keyName);
        var section = $"{ConfiguredNoteKeySource.SectionName}:{bank}";
        siloConfiguration[$"{section}:Kind"] = KeyVaultKind;
        siloConfiguration[$"{section}:VaultUri"] = _vault.VaultUri.ToString();
        siloConfiguration[$"{section}:KeyName"] = keyName;
    }

    public async ValueTask DisposeAsync()
    {
        if (_vault is not null)
        {
            await _vault.DisposeAsync().ConfigureAwait(false);
        }
    }
}
