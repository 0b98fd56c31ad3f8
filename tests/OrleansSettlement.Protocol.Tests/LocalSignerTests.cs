using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Protocol.Tests;

public class LocalSignerTests
{
    [Fact]
    public async Task FromPrivateJwk_ExportedKey_RoundTrips()
    {
        using var original = LocalSigner.Generate();
        var json = original.ToPrivateJwkJson();
        var jwk = JsonNode.Parse(json)!.AsObject();

        var restored = LocalSigner.FromPrivateJwk(json);

        Assert.True(restored.IsOk, restored.Error?.ToString());
        using var signer = restored.Value;
        Assert.Equal(original.PublicKey, signer.PublicKey);
        Assert.Equal(original.PublicKey.Thumbprint, jwk["kid"]!.GetValue<string>());
        Assert.Equal(json, signer.ToPrivateJwkJson());
        var digest = SHA256.HashData("content"u8);
        var signature = await signer.SignDigestAsync(digest);
        Assert.True(Es256.VerifyDigest(original.PublicKey, digest, signature.SignatureP1363));
        Assert.Equal(original.PublicKey.Thumbprint, signature.KeyId);
        Assert.Equal(original.PublicKey, await signer.GetPublicKeyAsync());
    }

    [Fact]
    public void FromPrivateJwk_DFromAnotherKey_IsRefused()
    {
        using var a = LocalSigner.Generate();
        using var b = LocalSigner.Generate();
        var jwk = JsonNode.Parse(a.ToPrivateJwkJson())!.AsObject();
        jwk["d"] = JsonNode.Parse(b.ToPrivateJwkJson())!["d"]!.GetValue<string>();
        jwk.Remove("kid");

        var result = LocalSigner.FromPrivateJwk(jwk.ToJsonString());

        Assert.Equal(ProtocolErrorCode.InvalidKey, result.Error?.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 0
    [InlineData("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE")] // n
    [InlineData("__________________________________________8")] // 2^256 - 1
    [InlineData("AAAA")] // too short
    public void FromPrivateJwk_BadD_IsRefused(string? d)
    {
        using var a = LocalSigner.Generate();
        var jwk = JsonNode.Parse(a.ToPrivateJwkJson())!.AsObject();
        jwk.Remove("kid");
        if (d is null)
        {
            jwk.Remove("d");
        }
        else
        {
            jwk["d"] = d;
        }

        Assert.Equal(ProtocolErrorCode.InvalidKey, LocalSigner.FromPrivateJwk(jwk.ToJsonString()).Error?.Code);
    }

    [Fact]
    public void FromPrivateJwk_WrongKid_IsRefused()
    {
        using var a = LocalSigner.Generate();
        var jwk = JsonNode.Parse(a.ToPrivateJwkJson())!.AsObject();
        jwk["kid"] = "another";

        Assert.Equal(ProtocolErrorCode.InvalidKey, LocalSigner.FromPrivateJwk(jwk.ToJsonString()).Error?.Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"kty\":\"RSA\"}")]
    public void FromPrivateJwk_NotAnEcJwk_IsRefused(string json)
    {
        Assert.Equal(ProtocolErrorCode.InvalidKey, LocalSigner.FromPrivateJwk(json).Error?.Code);
    }

    [Fact]
    public void SignDigest_ProducesVerifiableP1363Signature()
    {
        using var signer = LocalSigner.Generate();
        var digest = SHA256.HashData("data"u8);

        var signature = signer.SignDigest(digest);

        Assert.Equal(Es256.SignatureLength, signature.SignatureP1363.Length);
        Assert.True(Es256.IsWellFormed(signature.SignatureP1363));
        Assert.True(Es256.Verify(signer.PublicKey, "data"u8, signature.SignatureP1363));
        Assert.False(Es256.Verify(signer.PublicKey, "date"u8, signature.SignatureP1363));
    }

    [Fact]
    public void SignDigest_NotADigest_Throws()
    {
        using var signer = LocalSigner.Generate();

        Assert.Throws<ArgumentException>(() => signer.SignDigest(new byte[31]));
        Assert.Throws<ArgumentException>(() => signer.SignDigest("data"u8));
    }

    [Fact]
    public void Dispose_ThenSign_Throws()
    {
        var signer = LocalSigner.Generate();
        signer.Dispose();
        signer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => signer.SignDigest(new byte[32]));
        Assert.Throws<ObjectDisposedException>(signer.ToPrivateJwkJson);
    }

    [Fact]
    public void Verify_MalformedSignatures_AreFalseNotExceptions()
    {
        using var signer = LocalSigner.Generate();
        var digest = SHA256.HashData("x"u8);
        var good = signer.SignDigest(digest).SignatureP1363;
        var n = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

        Assert.False(Es256.VerifyDigest(signer.PublicKey, digest, []));
        Assert.False(Es256.VerifyDigest(signer.PublicKey, digest, good.AsSpan(0, 63)));
        Assert.False(Es256.VerifyDigest(signer.PublicKey, digest, [.. good, 0]));
        Assert.False(Es256.VerifyDigest(signer.PublicKey, digest, new byte[64]));
        Assert.False(Es256.VerifyDigest(signer.PublicKey, digest, [.. n, .. good.AsSpan(32)]));
        Assert.False(Es256.VerifyDigest(signer.PublicKey, digest, [.. good.AsSpan(0, 32), .. n]));
        Assert.False(Es256.VerifyDigest(signer.PublicKey, digest.AsSpan(1), good));
        Assert.True(Es256.VerifyDigest(signer.PublicKey, digest, good));
    }
}
