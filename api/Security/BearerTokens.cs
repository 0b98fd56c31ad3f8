using System.Security.Cryptography;
using System.Text;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Api.Security;

/// <summary>Bearer tokens: read from <c>Authorization</c>, known to the service only by their SHA-256.</summary>
public static class BearerTokens
{
    /// <summary>The longest token read (a client's token is 43 characters: 32 random bytes in base64url).</summary>
    public const int MaxTokenLength = 512;

    /// <summary>The token of an <c>Authorization: Bearer &lt;token&gt;</c> header, or null when there is none or it is malformed.</summary>
    public static string? Read(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var values = request.Headers.Authorization;
        if (values.Count != 1 || values[0] is not { } header)
        {
            return null;
        }

        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[Scheme.Length..].Trim();
        return token.Length is > 0 and <= MaxTokenLength && token.All(c => c is > ' ' and <= '~') ? token : null;
    }

    /// <summary>base64url SHA-256 of the token's UTF-8 bytes: what grains and configuration hold.</summary>
    public static string Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>Compares a token with a configured base64url SHA-256 in constant time.</summary>
    public static bool Matches(string token, string? expectedSha256)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!Base64Url.TryDecode(expectedSha256, out var expected) || expected.Length != SHA256.HashSizeInBytes)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), expected);
    }
}
