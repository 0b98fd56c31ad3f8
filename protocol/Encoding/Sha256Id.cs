using System.Security.Cryptography;

namespace OrleansSettlement.Protocol.Encoding;

/// <summary>Ids by hash: base64url (no padding) of the SHA-256 of some bytes (43 characters).</summary>
public static class Sha256Id
{
    /// <summary>Length in characters of every id this class makes.</summary>
    public const int Length = 43;

    public static string Of(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, digest);
        return Base64Url.Encode(digest);
    }
}
