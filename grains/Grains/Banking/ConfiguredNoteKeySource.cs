using System.Collections.Concurrent;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// Picks each bank's note key source from configuration section <c>Signing:Institutions:{institution}</c>:
/// <c>Kind</c> = <c>KeyVault</c> with <c>VaultUri</c>, <c>KeyName</c> and optional <c>KeyVersion</c> (else the key's current
/// version) signs in Azure Key Vault (the private key never reaches the service); anything else, or no section, is the
/// development source (private JWK in grain state, so <c>./settle up</c> works without Azure). Credentials: a
/// <see cref="TokenCredential"/> registered in the silo, else <see cref="DefaultAzureCredential"/>; client options: a
/// registered <see cref="KeyVaultClientOptions"/>, else the defaults. One client per vault.
/// </summary>
public sealed class ConfiguredNoteKeySource(IConfiguration configuration, IServiceProvider services) : INoteKeySource
{
    public const string SectionName = "Signing:Institutions";

    private readonly ConcurrentDictionary<string, KeyVaultKeysClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>One signer per key version for the silo's life: its public key is fetched from the vault once.</summary>
    private readonly ConcurrentDictionary<string, KeyVaultSigner> _signers = new(StringComparer.Ordinal);

    public async Task<NewNoteKey> CreateNoteKeyAsync(string institution, IReadOnlyCollection<string> knownKids, CancellationToken cancellationToken = default)
    {
        var section = configuration.GetSection($"{SectionName}:{institution}");
        if (!string.Equals(section["Kind"], "KeyVault", StringComparison.OrdinalIgnoreCase))
        {
            return await DevelopmentNoteKeySource.Instance.CreateNoteKeyAsync(institution, knownKids, cancellationToken).ConfigureAwait(false);
        }

        var vault = section["VaultUri"] is { Length: > 0 } text && Uri.TryCreate(text, UriKind.Absolute, out var uri)
            ? uri
            : throw new InvalidOperationException($"{SectionName}:{institution}:VaultUri must be the vault's https URI.");
        var name = section["KeyName"] is { Length: > 0 } keyName ? keyName : throw new InvalidOperationException($"{SectionName}:{institution}:KeyName is missing.");
        var key = await Client(vault).GetKeyAsync(name, section["KeyVersion"] is { Length: > 0 } v ? v : null, cancellationToken).ConfigureAwait(false);
        return new NewNoteKey(key.Kid, key.PublicKey.ToJson().ToJsonString(), "", key.KeyId.ToString());
    }

    public ISigner OpenNoteSigner(string institution, NoteKeyMaterial key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.ExternalKeyId is null)
        {
            return DevelopmentNoteKeySource.Instance.OpenNoteSigner(institution, key);
        }

        return _signers.GetOrAdd(key.ExternalKeyId, id =>
        {
            var keyId = new Uri(id);
            return KeyVaultSigner.ForKeyId(Client(new Uri(keyId.GetLeftPart(UriPartial.Authority))), keyId);
        });
    }

    private KeyVaultKeysClient Client(Uri vault) =>
        _clients.GetOrAdd(vault.GetLeftPart(UriPartial.Authority), _ => new KeyVaultKeysClient(
            vault,
            services.GetService<TokenCredential>() ?? new DefaultAzureCredential(),
            services.GetService<KeyVaultClientOptions>() ?? new KeyVaultClientOptions()));
}
