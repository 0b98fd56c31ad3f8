using System.Security.Cryptography;

namespace OrleansSettlement.Protocol.Crypto;

/// <summary>
/// ES256 verification: ECDSA over P-256 with SHA-256, signatures as the 64-byte IEEE P1363
/// <c>r||s</c>. Anything else is refused before the platform sees it: a length other than 64,
/// r or s zero or not below the group order n. Verification never throws on hostile input.
/// </summary>
public static class Es256
{
    public const int SignatureLength = 64;

    /// <summary>True when <paramref name="signatureP1363"/> is a valid signature of SHA-256(<paramref name="data"/>) by <paramref name="key"/>.</summary>
    public static bool Verify(PublicJwk key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signatureP1363)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, digest);
        return VerifyDigest(key, digest, signatureP1363);
    }

    /// <summary>True when <paramref name="signatureP1363"/> is a valid signature of the 32-byte SHA-256 digest by <paramref name="key"/>.</summary>
    public static bool VerifyDigest(PublicJwk key, ReadOnlySpan<byte> sha256Digest, ReadOnlySpan<byte> signatureP1363)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (sha256Digest.Length != SHA256.HashSizeInBytes || !IsWellFormed(signatureP1363))
        {
            return false;
        }

        Diagnostics.ProtocolMetrics.Verifications.Add(1);
        try
        {
            return key.VerifyHash(sha256Digest, signatureP1363);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>True when the signature is 64 bytes with r and s both in [1, n - 1].</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> signatureP1363) =>
        signatureP1363.Length == SignatureLength &&
        P256.IsValidScalar(signatureP1363[..P256.FieldSize]) &&
        P256.IsValidScalar(signatureP1363[P256.FieldSize..]);
}
