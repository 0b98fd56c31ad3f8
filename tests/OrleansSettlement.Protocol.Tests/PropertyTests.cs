using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CsCheck;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Protocol.Tests;

/// <summary>Properties checked on random inputs (CsCheck; a failure prints the shrunk input and its seed).</summary>
public sealed class PropertyTests : IDisposable
{
    private const string UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly Gen<JTree> AnyTree = JsonGen.Tree(integersOnly: false);

    private readonly LocalSigner _signer = LocalSigner.Generate();

    public void Dispose() => _signer.Dispose();

    // ---- canonical form

    [Fact]
    public void Canonicalize_ShuffledMemberOrder_GivesSameBytes()
    {
        Gen.Select(AnyTree, Gen.Int).Sample((tree, seed) =>
        {
            var inOrder = Jcs.Canonicalize(tree.ToNode());
            var shuffled = Jcs.Canonicalize(tree.ToNode(new Random(seed)));
            Assert.Equal(inOrder, shuffled);
        }, iter: 2000);
    }

    [Fact]
    public void Canonicalize_CanonicalText_IsFixedPoint()
    {
        AnyTree.Sample(tree =>
        {
            var once = Jcs.Canonicalize(tree.ToNode());
            var twice = Jcs.Canonicalize(once);
            Assert.True(twice.IsOk, twice.Error?.ToString());
            Assert.Equal(once, twice.Value);
        }, iter: 2000);
    }

    [Fact]
    public void Canonicalize_TextAndTree_Agree()
    {
        Gen.Select(AnyTree, Gen.Int).Sample((tree, seed) =>
        {
            var node = tree.ToNode(new Random(seed));
            var fromText = Jcs.Canonicalize(System.Text.Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null"));
            Assert.True(fromText.IsOk, fromText.Error?.ToString());
            Assert.Equal(Jcs.Canonicalize(node), fromText.Value);
        }, iter: 2000);
    }

    [Fact]
    public void SerializeNumber_FiniteDoubles_RoundTripExactly()
    {
        JsonGen.FiniteDouble.Sample(d =>
        {
            var text = Jcs.SerializeNumber(d);
            var back = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            Assert.True(back == d, $"{d:R} -> {text} -> {back:R}");
            Assert.DoesNotContain('E', text);
            Assert.Equal(text, Jcs.SerializeNumber(back));
        }, iter: 20000);
    }

    // ---- SafeJson and the integer range

    [Fact]
    public void SafeJson_IntegersWithinRange_AreAccepted()
    {
        JsonGen.SafeInteger.Sample(i =>
        {
            var text = $"{{\"purpose\":\"p\",\"n\":{i.ToString(CultureInfo.InvariantCulture)}}}";
            var parsed = SafeJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(text));
            Assert.True(parsed.IsOk, parsed.Error?.ToString());
            Assert.Null(SafeJson.Check(new JsonObject { ["n"] = i }));
            Assert.True(SignedObject.SigningInput(new JsonObject { ["purpose"] = "p", ["n"] = i }).IsOk);
        }, iter: 2000);
    }

    [Fact]
    public void SafeJson_IntegersBeyondRange_AreRefused()
    {
        var beyond = Gen.Frequency(
            (3, Gen.Long[SafeJson.MaxSafeInteger + 1, long.MaxValue]),
            (3, Gen.Long[long.MinValue, -SafeJson.MaxSafeInteger - 1]),
            (1, Gen.OneOfConst(SafeJson.MaxSafeInteger + 1, -SafeJson.MaxSafeInteger - 1, long.MinValue, long.MaxValue)));
        beyond.Sample(i =>
        {
            var lexeme = i.ToString(CultureInfo.InvariantCulture);
            var parsed = SafeJson.ParseObject(System.Text.Encoding.UTF8.GetBytes($"{{\"purpose\":\"p\",\"n\":[{lexeme}]}}"));
            Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, parsed.Error?.Code);
            Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, SafeJson.Check(new JsonObject { ["n"] = i })?.Code);
            Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, SignedObject.SigningInput(new JsonObject { ["purpose"] = "p", ["n"] = i }).Error?.Code);
            Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, SafeJson.CheckNumberLexeme(lexeme + "000")?.Code);
        }, iter: 2000);
    }

    [Fact]
    public void SafeJson_NonIntegerLexemes_AreRefused()
    {
        JsonGen.FiniteDouble.Where(d => d != Math.Floor(d)).Sample(d =>
        {
            var parsed = SafeJson.ParseObject(System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{d.ToString("R", CultureInfo.InvariantCulture)}}}"));
            Assert.Equal(ProtocolErrorCode.NumberNotInteger, parsed.Error?.Code);
            Assert.Equal(ProtocolErrorCode.NumberNotInteger, SafeJson.Check(new JsonObject { ["n"] = d })?.Code);
        }, iter: 1000);
    }

    [Fact]
    public void SafeJson_SignableTrees_PassCheckAndSurviveText()
    {
        JsonGen.SignableContent.Sample(content =>
        {
            var obj = content.Build();
            Assert.Null(SafeJson.Check(obj));
            var parsed = SafeJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(obj.ToJsonString()));
            Assert.True(parsed.IsOk, parsed.Error?.ToString());
            Assert.Equal(Jcs.Canonicalize(obj), Jcs.Canonicalize(parsed.Value));
        }, iter: 1000);
    }

    // ---- base64url

    [Fact]
    public void Base64Url_RandomBytes_RoundTrip()
    {
        Gen.Byte.Array[0, 100].Sample(bytes =>
        {
            var text = Base64Url.Encode(bytes);
            Assert.Equal(Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_'), text);
            Assert.True(Base64Url.TryDecode(text, out var decoded));
            Assert.Equal(bytes, decoded);
        }, iter: 5000);
    }

    [Fact]
    public void Base64Url_AcceptedText_IsTheOnlyEncodingOfItsBytes()
    {
        // Strings over the URL alphabet plus characters that must be refused; whatever is accepted
        // must re-encode to itself (so padding, other alphabets, whitespace and spare bits never pass).
        var chars = Gen.Frequency((12, Gen.Char[UrlAlphabet]), (1, Gen.Char["=+/ \t\r\n.é\0"]));
        chars.Array[0, 24].Select(a => new string(a)).Sample(text =>
        {
            if (Base64Url.TryDecode(text, out var bytes))
            {
                Assert.Equal(text, Base64Url.Encode(bytes));
            }
            else
            {
                Assert.True(!text.All(UrlAlphabet.Contains) || text.Length % 4 == 1 || !SpareBitsZero(text), $"refused a canonical text: {text}");
            }
        }, iter: 20000);
    }

    [Fact]
    public void Base64Url_CorruptedText_IsRefused()
    {
        var corruption = Gen.OneOfConst("=", "==", "+", "/", " ", "\n", "\t", "\r\n", "%3D");
        Gen.Select(Gen.Byte.Array[1, 64], corruption, Gen.Int[0, 1000]).Sample((bytes, bad, position) =>
        {
            var text = Base64Url.Encode(bytes);
            var at = position % (text.Length + 1);
            var corrupted = text.Insert(at, bad);
            Assert.False(Base64Url.TryDecode(corrupted, out _), corrupted);
            Assert.Equal(ProtocolErrorCode.InvalidBase64Url, Base64Url.Decode(corrupted, "f").Error?.Code);
        }, iter: 5000);
    }

    [Fact]
    public void Base64Url_NonZeroSpareBits_AreRefused()
    {
        Gen.Select(Gen.Byte.Array[1, 64].Where(b => b.Length % 3 != 0), Gen.Int[1, 15]).Sample((bytes, spare) =>
        {
            var text = Base64Url.Encode(bytes);
            var mask = text.Length % 4 == 2 ? 0x0F : 0x03; // 4 or 2 unused bits in the last character
            var last = UrlAlphabet.IndexOf(text[^1], StringComparison.Ordinal);
            var set = (spare & mask) == 0 ? 1 : spare & mask;
            var flipped = text[..^1] + UrlAlphabet[last | set];

            Assert.False(Base64Url.TryDecode(flipped, out _), $"{text} -> {flipped}");
        }, iter: 5000);
    }

    // ---- signatures

    [Fact]
    public async Task SignAsync_RandomContent_VerifiesAfterTextRoundTrip()
    {
        await Gen.Select(JsonGen.SignableContent, Gen.Int).SampleAsync(async (content, seed) =>
        {
            var signed = (await SignedObject.SignAsync(content.Build(), "property", _signer)).Value;
            Assert.Null(SignedObject.Verify(signed, _signer.PublicKey, "property"));

            // Another member order, another text, same signature.
            var reordered = (JsonObject)new JObj([.. signed.Select(m => (m.Key, (JTree)new JRaw(m.Value)))]).ToNode(new Random(seed))!;
            var reparsed = SafeJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(reordered.ToJsonString())).Value;
            Assert.Null(SignedObject.Verify(reparsed, _signer.PublicKey, "property"));
        }, iter: 300);
    }

    [Fact]
    public async Task Verify_AnyByteOfContentFlipped_Fails()
    {
        await Gen.Select(JsonGen.SignableContent, Gen.Int[0, int.MaxValue], Gen.Byte[1, 255]).SampleAsync(async (content, position, xor) =>
        {
            var signed = (await SignedObject.SignAsync(content.Build(), "property", _signer)).Value;
            var input = SignedObject.SigningInput(signed).Value;
            var signature = Base64Url.Decode(signed["sig"]!.GetValue<string>(), "sig").Value;
            Assert.True(Es256.Verify(_signer.PublicKey, input, signature));

            var changed = (byte[])input.Clone();
            changed[position % changed.Length] ^= xor;
            Assert.False(Es256.Verify(_signer.PublicKey, changed, signature));

            // The same at the JSON level when the flip still leaves signable JSON. A flip can also leave another text of
            // the same content (an escape's hex digit in the other case: \u001f and \u001F are one character): then the
            // canonical form, and so the signature, are unchanged, and the signature must still verify.
            var reparsed = SafeJson.ParseObject(changed);
            if (reparsed.IsOk && reparsed.Value.ContainsKey("purpose"))
            {
                var sameContent = Jcs.Canonicalize(reparsed.Value).AsSpan().SequenceEqual(input);
                reparsed.Value["sig"] = signed["sig"]!.GetValue<string>();
                var error = SignedObject.Verify(reparsed.Value, _signer.PublicKey, "property");
                Assert.Equal(sameContent, error is null);
            }
        }, iter: 500);
    }

    [Fact]
    public async Task Verify_AnyBitOfSignatureFlipped_IsBadSignature()
    {
        await Gen.Select(JsonGen.SignableContent, Gen.Int[0, (Es256.SignatureLength * 8) - 1]).SampleAsync(async (content, bit) =>
        {
            var signed = (await SignedObject.SignAsync(content.Build(), "property", _signer)).Value;
            var signature = Base64Url.Decode(signed["sig"]!.GetValue<string>(), "sig").Value;
            signature[bit / 8] ^= (byte)(1 << (bit % 8));
            signed["sig"] = Base64Url.Encode(signature);

            Assert.Equal(ProtocolErrorCode.BadSignature, SignedObject.Verify(signed, _signer.PublicKey, "property")?.Code);
            Assert.False(Es256.Verify(_signer.PublicKey, SignedObject.SigningInput(signed).Value, signature));
        }, iter: 500);
    }

    [Fact]
    public async Task Verify_SignatureForOnePurpose_NeverVerifiesAsAnother()
    {
        var purposes = Gen.OneOfConst("note", "agreement", "acceptance", "request", "challenge", "response", "result", "decision");
        await Gen.Select(JsonGen.SignableContent, purposes, purposes).Where((_, a, b) => a != b).SampleAsync(async (content, a, b) =>
        {
            var signed = (await SignedObject.SignAsync(content.Build(), a, _signer)).Value;
            Assert.Equal(ProtocolErrorCode.WrongPurpose, SignedObject.Verify(signed, _signer.PublicKey, b)?.Code);

            signed["purpose"] = b;
            Assert.Equal(ProtocolErrorCode.BadSignature, SignedObject.Verify(signed, _signer.PublicKey, b)?.Code);
            Assert.Equal(ProtocolErrorCode.WrongPurpose, SignedObject.Verify(signed, _signer.PublicKey, a)?.Code);
        }, iter: 300);
    }

    [Fact]
    public void VerifyDigest_RandomKeysAndDigests_RoundTrip()
    {
        Gen.Byte.Array[32].Sample(digest =>
        {
            using var signer = LocalSigner.Generate();
            var signature = signer.SignDigest(digest);
            Assert.True(Es256.VerifyDigest(signer.PublicKey, digest, signature.SignatureP1363));
            Assert.False(Es256.VerifyDigest(_signer.PublicKey, digest, signature.SignatureP1363));
            Assert.Equal(signer.PublicKey.Thumbprint, signature.KeyId);
            var restored = LocalSigner.FromPrivateJwk(signer.ToPrivateJwkJson());
            using var again = restored.Value;
            Assert.Equal(signer.PublicKey, again.PublicKey);
            Assert.True(Es256.VerifyDigest(again.PublicKey, SHA256.HashData(digest), again.SignDigest(SHA256.HashData(digest)).SignatureP1363));
        }, iter: 200);
    }

    private static bool SpareBitsZero(string text)
    {
        if (text.Length == 0 || text.Length % 4 == 0)
        {
            return true;
        }

        var last = UrlAlphabet.IndexOf(text[^1], StringComparison.Ordinal);
        return (last & (text.Length % 4 == 2 ? 0x0F : 0x03)) == 0;
    }

    /// <summary>Wraps an existing node so a built object can be re-ordered by <see cref="JObj"/>.</summary>
    private sealed record JRaw(JsonNode? Node) : JTree
    {
        public override JsonNode? ToNode(Random? shuffle = null) => Node?.DeepClone();
    }
}
