using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Protocol.Tests;

public sealed class SignedObjectTests : IDisposable
{
    private readonly LocalSigner _signer = LocalSigner.Generate();

    public void Dispose() => _signer.Dispose();

    [Fact]
    public async Task SignAsync_ThenVerify_IsValid()
    {
        var content = Content();

        var signed = (await SignedObject.SignAsync(content, "note", _signer)).Value;

        Assert.Null(SignedObject.Verify(signed, _signer.PublicKey, "note"));
        Assert.Equal("note", signed[SignedObject.PurposeMember]!.GetValue<string>());
        Assert.False(content.ContainsKey(SignedObject.SignatureMember)); // the input is not modified
        Assert.False(content.ContainsKey(SignedObject.PurposeMember));
        Assert.True(Base64Url.Decode(signed["sig"]!.GetValue<string>(), "sig", Es256.SignatureLength).IsOk);
    }

    [Fact]
    public async Task SignAsync_ContentWithSamePurpose_IsSigned()
    {
        var content = Content();
        content["purpose"] = "note";

        var signed = await SignedObject.SignAsync(content, "note", _signer);

        Assert.True(signed.IsOk, signed.Error?.ToString());
    }

    [Fact]
    public async Task SignAsync_ContentWithOtherPurpose_IsWrongPurpose()
    {
        var content = Content();
        content["purpose"] = "agreement";

        var signed = await SignedObject.SignAsync(content, "note", _signer);

        Assert.Equal(ProtocolErrorCode.WrongPurpose, signed.Error?.Code);
    }

    [Fact]
    public async Task SignAsync_ContentAlreadySigned_IsInvalidField()
    {
        var signed = (await SignedObject.SignAsync(Content(), "note", _signer)).Value;

        var again = await SignedObject.SignAsync(signed, "note", _signer);

        Assert.Equal(ProtocolErrorCode.InvalidField, again.Error?.Code);
    }

    [Fact]
    public async Task SignAsync_UnsafeContent_IsRefused()
    {
        var content = Content();
        content["amount"] = SafeJson.MaxSafeInteger + 1;

        var signed = await SignedObject.SignAsync(content, "note", _signer);

        Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, signed.Error?.Code);
    }

    [Fact]
    public async Task SignAsync_SignerReturningBadLength_Throws()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await SignedObject.SignAsync(Content(), "note", new BrokenSigner()));
    }

    [Fact]
    public void SigningInput_IsCanonicalFormWithoutSig()
    {
        var obj = new JsonObject { ["sig"] = "ignored", ["b"] = 2, ["purpose"] = "p", ["a"] = "é" };

        var input = SignedObject.SigningInput(obj);

        Assert.Equal("{\"a\":\"é\",\"b\":2,\"purpose\":\"p\"}", System.Text.Encoding.UTF8.GetString(input.Value));
        Assert.True(obj.ContainsKey("sig"));
    }

    [Fact]
    public void SigningInput_PurposeMissingOrNotString_IsRefused()
    {
        Assert.Equal(ProtocolErrorCode.MissingField, SignedObject.SigningInput(new JsonObject { ["a"] = 1 }).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidField, SignedObject.SigningInput(new JsonObject { ["purpose"] = 1 }).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidField, SignedObject.SigningInput(new JsonObject { ["purpose"] = null }).Error?.Code);
        Assert.Equal(ProtocolErrorCode.InvalidField, SignedObject.SigningInput(new JsonObject { ["purpose"] = "" }).Error?.Code);
    }

    [Fact]
    public void SigningInput_UnsafeNumbers_AreRefused()
    {
        Assert.Equal(ProtocolErrorCode.NumberNotInteger, SignedObject.SigningInput(new JsonObject { ["purpose"] = "p", ["a"] = 1.5 }).Error?.Code);
        Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, SignedObject.SigningInput(new JsonObject { ["purpose"] = "p", ["a"] = -SafeJson.MaxSafeInteger - 1 }).Error?.Code);
        Assert.True(SignedObject.SigningInput(new JsonObject { ["purpose"] = "p", ["a"] = -SafeJson.MaxSafeInteger }).IsOk);
    }

    [Fact]
    public async Task Verify_EachWayToBreakIt_HasItsCode()
    {
        var signed = (await SignedObject.SignAsync(Content(), "note", _signer)).Value;
        using var other = LocalSigner.Generate();
        var sig = signed["sig"]!.GetValue<string>();

        Assert.Equal(ProtocolErrorCode.WrongPurpose, SignedObject.Verify(signed, _signer.PublicKey, "agreement")?.Code);
        Assert.Equal(ProtocolErrorCode.WrongPurpose, SignedObject.Verify(With(signed, o => o.Remove("purpose")), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.WrongPurpose, SignedObject.Verify(With(signed, o => o["purpose"] = 7), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.MissingSignature, SignedObject.Verify(With(signed, o => o.Remove("sig")), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.MissingSignature, SignedObject.Verify(With(signed, o => o["sig"] = null), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedSignature, SignedObject.Verify(With(signed, o => o["sig"] = 12), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedSignature, SignedObject.Verify(With(signed, o => o["sig"] = sig + "=="), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedSignature, SignedObject.Verify(With(signed, o => o["sig"] = sig[..^2]), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedSignature, SignedObject.Verify(With(signed, o => o["sig"] = sig.Replace('-', '+').Replace('_', '/') + "+"), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedSignature, SignedObject.Verify(With(signed, o => o["sig"] = Base64Url.Encode(new byte[72])), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.BadSignature, SignedObject.Verify(With(signed, o => o["sig"] = Base64Url.Encode(new byte[64])), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.BadSignature, SignedObject.Verify(signed, other.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.BadSignature, SignedObject.Verify(With(signed, o => o["amount"] = 1501), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.BadSignature, SignedObject.Verify(With(signed, o => o["extra"] = true), _signer.PublicKey, "note")?.Code);
        Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, SignedObject.Verify(With(signed, o => o["amount"] = long.MaxValue), _signer.PublicKey, "note")?.Code);
        Assert.Null(SignedObject.Verify(signed, _signer.PublicKey, "note"));
    }

    [Fact]
    public async Task Verify_PurposeRewritten_FailsForBothPurposes()
    {
        var signed = (await SignedObject.SignAsync(Content(), "request", _signer)).Value;

        var rewritten = With(signed, o => o["purpose"] = "response");

        Assert.Equal(ProtocolErrorCode.BadSignature, SignedObject.Verify(rewritten, _signer.PublicKey, "response")?.Code);
        Assert.Equal(ProtocolErrorCode.WrongPurpose, SignedObject.Verify(rewritten, _signer.PublicKey, "request")?.Code);
    }

    [Fact]
    public async Task Verify_AfterTextRoundTripAndReordering_IsValid()
    {
        var signed = (await SignedObject.SignAsync(Content(), "note", _signer)).Value;
        var reordered = new JsonObject();
        foreach (var (name, value) in signed.Reverse().ToList())
        {
            reordered[name] = value?.DeepClone();
        }

        var reparsed = SafeJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(reordered.ToJsonString())).Value;

        Assert.Null(SignedObject.Verify(reparsed, _signer.PublicKey, "note"));
    }

    [Fact]
    public async Task ContentId_IsHashOfSigningInput_IndependentOfSig()
    {
        var content = Content();
        content["purpose"] = "agreement";
        var signed = (await SignedObject.SignAsync(content, "agreement", _signer)).Value;

        var id = SignedObject.ContentId(content).Value;

        Assert.Equal(id, SignedObject.ContentId(signed).Value);
        Assert.Equal(Sha256Id.Of(SignedObject.SigningInput(content).Value), id);
        Assert.Equal(Sha256Id.Of(Jcs.Canonicalize(content)), id);
        Assert.Equal(Sha256Id.Length, id.Length);
        Assert.NotEqual(id, SignedObject.ContentId(With(content, o => o["amount"] = 1501)).Value);
        Assert.Equal(ProtocolErrorCode.MissingField, SignedObject.ContentId(Content()).Error?.Code);
    }

    private static JsonObject Content() => new()
    {
        ["version"] = 1,
        ["currency"] = "EUR",
        ["amount"] = 1500,
        ["holder"] = new JsonObject { ["kty"] = "EC", ["n"] = new JsonArray(1, 2, 3) },
        ["memo"] = "café \u2028 😂 \"quoted\"",
    };

    private static JsonObject With(JsonObject source, Action<JsonObject> change)
    {
        var copy = (JsonObject)source.DeepClone();
        change(copy);
        return copy;
    }

    private sealed class BrokenSigner : ISigner
    {
        public ValueTask<DigestSignature> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new DigestSignature(new byte[70], "kid"));

        public ValueTask<PublicJwk> GetPublicKeyAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
