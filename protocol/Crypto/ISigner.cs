namespace OrleansSettlement.Protocol.Crypto;

/// <summary>An ES256 signature over a SHA-256 digest: the 64-byte P1363 <c>r||s</c> and the signing key's RFC 7638 thumbprint.</summary>
public readonly record struct DigestSignature(byte[] SignatureP1363, string KeyId);

/// <summary>
/// An ES256 signing key that may live elsewhere (Azure Key Vault in production, <see cref="LocalSigner"/>
/// in development and tests): a SHA-256 digest goes in, the P1363 signature and the kid come out.
/// </summary>
public interface ISigner
{
    ValueTask<DigestSignature> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default);

    ValueTask<PublicJwk> GetPublicKeyAsync(CancellationToken cancellationToken = default);
}
