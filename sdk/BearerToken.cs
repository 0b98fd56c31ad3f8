using System.Security.Cryptography;
using System.Text;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Sdk;

/// <summary>
/// A bearer token for a bank operator or a store (or the admin): 32 random bytes in base64url, made by its holder. The
/// service is only ever given <see cref="Sha256"/> (when the institution or store is created), so no secret is returned,
/// stored or logged by the service. Keep <see cref="Token"/> like a password.
/// </summary>
public sealed class BearerToken
{
    private BearerToken(string token)
    {
        Token = token;
        Sha256 = HashOf(token);
    }

    /// <summary>The secret token sent as <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public string Token { get; }

    /// <summary>The base64url (no padding) SHA-256 of the token: what the service holds.</summary>
    public string Sha256 { get; }

    /// <summary>A fresh token of 32 random bytes.</summary>
    public static BearerToken Create() => new(Base64Url.Encode(RandomNumberGenerator.GetBytes(32)));

    /// <summary>An existing token (for example read from a secret store).</summary>
    public static BearerToken From(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return new BearerToken(token);
    }

    /// <summary>The base64url SHA-256 of a token's UTF-8 bytes.</summary>
    public static string HashOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>Never the token itself.</summary>
    public override string ToString() => $"BearerToken(sha256 {Sha256})";
}

/// <summary>Idempotency keys and other small helpers.</summary>
public static class SettlementIds
{
    /// <summary>A fresh Idempotency-Key: 128 random bits, base64url.</summary>
    public static string NewIdempotencyKey() => Base64Url.Encode(RandomNumberGenerator.GetBytes(16));

    /// <summary>The items hash of a checkout: base64url SHA-256 of the item list or memo (UTF-8).</summary>
    public static string ItemsHash(string itemsOrMemo)
    {
        ArgumentNullException.ThrowIfNull(itemsOrMemo);
        return Sha256Id.Of(Encoding.UTF8.GetBytes(itemsOrMemo));
    }
}
