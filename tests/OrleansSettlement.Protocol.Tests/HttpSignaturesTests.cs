using System.Security.Cryptography;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Http;

namespace OrleansSettlement.Protocol.Tests;

public sealed class HttpSignaturesTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
    private readonly LocalSigner _wallet = LocalSigner.Generate();
    private readonly LocalSigner _other = LocalSigner.Generate();

    public void Dispose()
    {
        _wallet.Dispose();
        _other.Dispose();
    }

    private static SignedRequestParts Post(string body = "{\"a\":1}", string key = "op-1") =>
        new("POST", "http://127.0.0.1:5080/v1/wallets/w/contributions?x=1", HttpSignatures.ContentDigest(System.Text.Encoding.UTF8.GetBytes(body)), key);

    private async Task<(SignatureParameters Parameters, string Signature)> Sign(SignedRequestParts parts, DateTimeOffset? created = null)
    {
        var (input, signature) = await HttpSignatures.SignAsync(parts, _wallet, created ?? Now);
        return (HttpSignatures.ParseInput(input).Value, signature);
    }

    [Fact]
    public async Task Verify_SignedRequest_Passes()
    {
        var parts = Post();
        var (parameters, signature) = await Sign(parts);
        Assert.Equal(["@method", "@target-uri", "content-digest", "idempotency-key"], parameters.Components);
        Assert.Equal(_wallet.PublicKey.Thumbprint, parameters.KeyId);
        Assert.Null(HttpSignatures.Verify(parts, parameters, signature, _wallet.PublicKey, Now.AddSeconds(10)));
    }

    [Fact]
    public async Task Verify_GetWithoutBody_CoversOnlyMethodAndTarget()
    {
        var parts = new SignedRequestParts("GET", "http://127.0.0.1:5080/v1/wallets/w/challenges", null, null);
        var (parameters, signature) = await Sign(parts);
        Assert.Equal(["@method", "@target-uri"], parameters.Components);
        Assert.Null(HttpSignatures.Verify(parts, parameters, signature, _wallet.PublicKey, Now));
    }

    public static TheoryData<string> Tamperings => ["method", "target", "body", "idempotencyKey", "dropIdempotencyKey"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Verify_TamperedRequest_IsUnauthenticated(string tampering)
    {
        var parts = Post();
        var (parameters, signature) = await Sign(parts);
        var tampered = tampering switch
        {
            "method" => parts with { Method = "PUT" },
            "target" => parts with { TargetUri = parts.TargetUri.Replace("x=1", "x=2", StringComparison.Ordinal) },
            "body" => parts with { ContentDigest = HttpSignatures.ContentDigest("{\"a\":2}"u8) },
            "idempotencyKey" => parts with { IdempotencyKey = "op-2" },
            "dropIdempotencyKey" => parts with { IdempotencyKey = null },
            _ => throw new ArgumentOutOfRangeException(nameof(tampering)),
        };
        Assert.Equal(ProtocolErrorCode.Unauthenticated, HttpSignatures.Verify(tampered, parameters, signature, _wallet.PublicKey, Now)?.Code);
    }

    [Fact]
    public async Task Verify_SignatureNotCoveringTheIdempotencyKey_IsUnauthenticated()
    {
        // Signed without the header, then the header is added: a server must insist that it is covered.
        var signedParts = Post() with { IdempotencyKey = null };
        var (parameters, signature) = await Sign(signedParts);
        Assert.Equal(ProtocolErrorCode.Unauthenticated, HttpSignatures.Verify(Post(), parameters, signature, _wallet.PublicKey, Now)?.Code);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(31)]
    public async Task Verify_CreatedOutsideTheWindow_IsSignatureExpired(int offsetSeconds)
    {
        var parts = Post();
        var (parameters, signature) = await Sign(parts, Now.AddSeconds(offsetSeconds));
        Assert.Equal(ProtocolErrorCode.SignatureExpired, HttpSignatures.Verify(parts, parameters, signature, _wallet.PublicKey, Now)?.Code);
    }

    [Fact]
    public async Task Verify_WithAnotherKey_IsUnauthenticated()
    {
        var parts = Post();
        var (parameters, signature) = await Sign(parts);
        Assert.Equal(ProtocolErrorCode.Unauthenticated, HttpSignatures.Verify(parts, parameters, signature, _other.PublicKey, Now)?.Code);
    }

    [Fact]
    public async Task Verify_SignatureBitFlipped_IsUnauthenticated()
    {
        var parts = Post();
        var (parameters, signature) = await Sign(parts);
        var bytes = Convert.FromBase64String(signature[6..^1]);
        bytes[10] ^= 1;
        Assert.Equal(ProtocolErrorCode.Unauthenticated, HttpSignatures.Verify(parts, parameters, $"sig1=:{Convert.ToBase64String(bytes)}:", _wallet.PublicKey, Now)?.Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sig1")]
    [InlineData("sig1=\"@method\"")]
    [InlineData("sig1=(\"@method\");keyid=\"k\";nonce=\"0123456789abcdef\"")]
    [InlineData("sig1=(\"@method\");created=1;nonce=\"0123456789abcdef\"")]
    [InlineData("sig1=(\"@method\");created=1;keyid=\"k\"")]
    [InlineData("sig1=(\"@method\");created=1;keyid=\"k\";nonce=\"short\"")]
    [InlineData("sig1=(\"@method\");created=1;keyid=\"k\";alg=\"rsa-pss-sha512\";nonce=\"0123456789abcdef\"")]
    [InlineData("sig1=(\"@method\");created=1;created=2;keyid=\"k\";nonce=\"0123456789abcdef\"")]
    [InlineData("sig1=(\"@method\" \"@method\");created=1;keyid=\"k\";nonce=\"0123456789abcdef\"")]
    [InlineData("sig1=(\"@method\");created=1;keyid=\"k\";nonce=\"0123456789abcdef\", sig2=(\"@method\");created=1;keyid=\"k\";nonce=\"0123456789abcdef\"")]
    [InlineData("sig1=(\"@method\");created=-5;keyid=\"k\";nonce=\"0123456789abcdef\"")]
    public void ParseInput_Malformed_IsUnauthenticated(string? input) =>
        Assert.Equal(ProtocolErrorCode.Unauthenticated, HttpSignatures.ParseInput(input).Error?.Code);

    [Fact]
    public void BuildBase_FollowsRfc9421Layout()
    {
        var parts = new SignedRequestParts("post", "https://example.com/foo?param=Value&Pet=dog", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", null);
        var signatureBase = HttpSignatures.BuildBase(parts, ["@method", "@target-uri", "content-digest"], "(\"@method\" \"@target-uri\" \"content-digest\");created=1618884473;keyid=\"test-key-ecc-p256\"");
        Assert.Equal(
            "\"@method\": POST\n\"@target-uri\": https://example.com/foo?param=Value&Pet=dog\n\"content-digest\": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n\"@signature-params\": (\"@method\" \"@target-uri\" \"content-digest\");created=1618884473;keyid=\"test-key-ecc-p256\"",
            signatureBase);
    }

    [Fact]
    public void ContentDigest_IsRfc9530Sha256()
    {
        // RFC 9530 appendix: {"hello": "world"} followed by a newline.
        Assert.Equal("sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:", HttpSignatures.ContentDigest("{\"hello\": \"world\"}\n"u8));
        Assert.Equal($"sha-256=:{Convert.ToBase64String(SHA256.HashData([]))}:", HttpSignatures.ContentDigest([]));
    }
}
