using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Protocol.Tests;

public class PublicJwkTests
{
    // RFC 7517 Appendix A.1, the EC public key.
    private const string Rfc7517X = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
    private const string Rfc7517Y = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";

    [Fact]
    public void Thumbprint_Rfc7517Key_MatchesIndependentComputation()
    {
        var key = PublicJwk.Parse(Jwk(Rfc7517X, Rfc7517Y)).Value;

        // RFC 7638 §3: SHA-256 of the required members, sorted, no whitespace; base64url without padding.
        var members = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Rfc7517X}\",\"y\":\"{Rfc7517Y}\"}}";
        var expected = Convert.ToBase64String(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(members))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(expected, key.Thumbprint);
        Assert.Equal("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s", key.Thumbprint); // computed with Python's hashlib
    }

    [Fact]
    public void Thumbprint_EqualsHashOfCanonicalJwk()
    {
        using var signer = LocalSigner.Generate();
        var key = signer.PublicKey;

        var canonical = Canonical.Jcs.Canonicalize(key.ToJson());

        Assert.Equal(Sha256Id.Of(canonical), key.Thumbprint);
    }

    [Fact]
    public void Parse_OptionalMembers_AreAcceptedWhenConsistent()
    {
        var key = PublicJwk.Parse(Jwk(Rfc7517X, Rfc7517Y)).Value;
        var jwk = Jwk(Rfc7517X, Rfc7517Y);
        jwk["kid"] = key.Thumbprint;
        jwk["alg"] = "ES256";
        jwk["use"] = "sig";
        jwk["ext"] = true; // WebCrypto exportKey("jwk") adds ext and key_ops
        jwk["key_ops"] = new JsonArray("verify");

        var parsed = PublicJwk.Parse(jwk);

        Assert.True(parsed.IsOk, parsed.Error?.ToString());
        Assert.Equal(key, parsed.Value);
    }

    [Theory]
    [InlineData("kty", "RSA")]
    [InlineData("kty", null)]
    [InlineData("crv", "P-384")]
    [InlineData("crv", "secp256k1")]
    [InlineData("x", null)]
    [InlineData("x", "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4=")] // padding
    [InlineData("x", "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D")] // 31 bytes
    [InlineData("x", "AMKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4")] // not 32 bytes
    [InlineData("y", "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyN")] // spare bits
    [InlineData("y", "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyE")] // another y: not on the curve
    [InlineData("kid", "none")]
    [InlineData("alg", "ES384")]
    [InlineData("use", "enc")]
    [InlineData("d", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE")]
    public void Parse_BadMember_IsInvalidKey(string member, string? value)
    {
        var jwk = Jwk(Rfc7517X, Rfc7517Y);
        if (value is null)
        {
            jwk.Remove(member);
        }
        else
        {
            jwk[member] = value;
        }

        var parsed = PublicJwk.Parse(jwk);

        Assert.False(parsed.IsOk);
        Assert.Equal(ProtocolErrorCode.InvalidKey, parsed.Error.Code);
    }

    [Fact]
    public void Parse_PrivateJwk_IsRefusedAsPublicKey()
    {
        using var signer = LocalSigner.Generate();

        var parsed = PublicJwk.Parse(signer.ToPrivateJwkJson());

        Assert.Equal(ProtocolErrorCode.InvalidKey, parsed.Error?.Code);
        Assert.Contains("\"d\"", parsed.Error!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCoordinates_PointsOffTheCurve_AreRefused()
    {
        var key = PublicJwk.Parse(Jwk(Rfc7517X, Rfc7517Y)).Value;
        var x = Base64Url.Decode(key.X, "x").Value;
        var y = Base64Url.Decode(key.Y, "y").Value;
        var otherY = (byte[])y.Clone();
        otherY[^1] ^= 1;
        var p = Convert.FromHexString("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF");

        Assert.True(PublicJwk.FromCoordinates(x, y).IsOk);
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.FromCoordinates(x, otherY).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.FromCoordinates(new byte[32], new byte[32]).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.FromCoordinates(p, y).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.FromCoordinates(x, y.AsSpan(1)).Error?.Code);
    }

    [Theory]
    [InlineData("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF")] // p
    [InlineData("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFE")] // p - 1: a field element, but not this point's
    [InlineData("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")] // 2^256 - 1
    public void FromCoordinates_CoordinatesAtOrAboveThePrime_AreRefused(string hex)
    {
        var big = Convert.FromHexString(hex);
        var key = PublicJwk.Parse(Jwk(Rfc7517X, Rfc7517Y)).Value;
        var x = Base64Url.Decode(key.X, "x").Value;
        var y = Base64Url.Decode(key.Y, "y").Value;

        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.FromCoordinates(big, y).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.FromCoordinates(x, big).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.Parse(Jwk(Base64Url.Encode(big), Base64Url.Encode(big))).Error?.Code);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"kty\":\"EC\",\"kty\":\"EC\"}")]
    public void Parse_NotAnObject_IsInvalidKey(string json)
    {
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.Parse(json).Error?.Code);
    }

    [Fact]
    public void Parse_NullOrNonObjectNode_IsInvalidKey()
    {
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.Parse((JsonNode?)null).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidKey, PublicJwk.Parse(JsonValue.Create("key")).Error?.Code);
    }

    [Fact]
    public void ToJson_RoundTripsAndHasNoKid()
    {
        using var signer = LocalSigner.Generate();
        var json = signer.PublicKey.ToJson();

        Assert.Equal(["kty", "crv", "x", "y"], json.Select(m => m.Key));
        Assert.Equal(signer.PublicKey, PublicJwk.Parse(json).Value);
        Assert.Equal(signer.PublicKey, PublicJwk.Parse(json.ToJsonString()).Value);
        Assert.Equal(signer.PublicKey.GetHashCode(), PublicJwk.Parse(json).Value.GetHashCode());
    }

    [Fact]
    public void FromParameters_PlatformKey_MatchesAndVerifies()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = PublicJwk.FromParameters(ecdsa.ExportParameters(false));
        var data = "hello"u8.ToArray();
        var signature = ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        Assert.True(Es256.Verify(key, data, signature));
        using var verifier = key.CreateEcdsa();
        Assert.True(verifier.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void FromParameters_OtherCurve_Throws()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.Throws<ArgumentException>(() => PublicJwk.FromParameters(ecdsa.ExportParameters(false)));
    }

    [Fact]
    public void Equals_DifferentKeys_AreNotEqual()
    {
        using var a = LocalSigner.Generate();
        using var b = LocalSigner.Generate();

        Assert.NotEqual(a.PublicKey, b.PublicKey);
        Assert.NotEqual(a.PublicKey.Thumbprint, b.PublicKey.Thumbprint);
        Assert.False(a.PublicKey.Equals(null));
    }

    private static JsonObject Jwk(string x, string y) => new() { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = x, ["y"] = y };
}
