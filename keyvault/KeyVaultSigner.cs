using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.KeyVault;

/// <summary>
/// An <see cref="ISigner"/> whose private key never leaves Azure Key Vault: one key version (<c>{vault}/keys/{name}/{version}</c>).
/// Its public key is fetched once and cached for the signer's life (a key version's public key never changes), so only
/// signing calls the vault; every signature is checked locally against that key before it is returned (a wrong key or a
/// corrupted answer never becomes a note). Verification of notes is always local, with the published JWK.
/// </summary>
public sealed class KeyVaultSigner : ISigner
{
    private readonly KeyVaultKeysClient _client;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private KeyVaultPublicKey? _key;

    public KeyVaultSigner(KeyVaultKeysClient client, string keyName, string keyVersion)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(keyName);
        ArgumentException.ThrowIfNullOrEmpty(keyVersion);
        _client = client;
        KeyName = keyName;
        KeyVersion = keyVersion;
    }

    public string KeyName { get; }

    public string KeyVersion { get; }

    /// <summary>A signer for a key identifier <c>https://{vault}/keys/{name}/{version}</c>.</summary>
    public static KeyVaultSigner ForKeyId(KeyVaultKeysClient client, Uri keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var segments = keyId.AbsolutePath.Trim('/').Split('/');
        return segments.Length == 3 && segments[0] == "keys"
            ? new KeyVaultSigner(client, Uri.UnescapeDataString(segments[1]), Uri.UnescapeDataString(segments[2]))
            : throw new ArgumentException("a Key Vault key identifier is https://{vault}/keys/{name}/{version}.", nameof(keyId));
    }

    public async ValueTask<PublicJwk> GetPublicKeyAsync(CancellationToken cancellationToken = default) =>
        (await KeyAsync(cancellationToken).ConfigureAwait(false)).PublicKey;

    public async ValueTask<DigestSignature> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default)
    {
        var key = await KeyAsync(cancellationToken).ConfigureAwait(false);
        var signature = await _client.SignDigestAsync(KeyName, KeyVersion, sha256Digest, cancellationToken).ConfigureAwait(false);
        return Es256.VerifyDigest(key.PublicKey, sha256Digest.Span, signature)
            ? new DigestSignature(signature, key.Kid)
            : throw new KeyVaultException($"Key Vault key '{KeyName}' version {KeyVersion} returned a signature that does not verify with its public key.");
    }

    private async ValueTask<KeyVaultPublicKey> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } known)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _key ??= await _client.GetKeyAsync(KeyName, KeyVersion, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
