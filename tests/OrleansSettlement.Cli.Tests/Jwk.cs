using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Cli.Tests;

/// <summary>Test-side JWK helpers, written independently of the protocol library.</summary>
internal static class Jwk
{
    /// <summary>RFC 7638 thumbprint of an EC key: SHA-256 of the required members in lexicographic order, base64url.</summary>
    public static string Thumbprint(JsonObject jwk)
    {
        var members = $"{{\"crv\":\"{jwk["crv"]}\",\"kty\":\"{jwk["kty"]}\",\"x\":\"{jwk["x"]}\",\"y\":\"{jwk["y"]}\"}}";
        return Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(members)));
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        return Convert.FromBase64String(padded);
    }

    /// <summary>Checks an ES256 P1363 signature with .NET's ECDsa directly.</summary>
    public static bool VerifyEs256(JsonObject jwk, byte[] data, byte[] signature)
    {
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = FromBase64Url((string)jwk["x"]!), Y = FromBase64Url((string)jwk["y"]!) },
        });
        return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
