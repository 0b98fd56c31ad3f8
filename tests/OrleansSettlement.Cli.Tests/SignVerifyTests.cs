using System.Text;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Cli.Tests;

public sealed class SignVerifyTests : IClassFixture<KeysFixture>
{
    private readonly KeysFixture _keys;

    public SignVerifyTests(KeysFixture keys)
    {
        _keys = keys;
    }

    /// <summary>Changes to a validly signed object that keep it well formed: each must make verify say "not valid".</summary>
    public static TheoryData<string> Tamperings => new()
    {
        "amount changed",
        "member added",
        "member removed",
        "nested array changed",
        "string changed",
        "purpose changed",
        "sig of other content",
    };

    /// <summary>Inputs verify cannot check: exit 2. name, what the one-line reason must contain.</summary>
    public static TheoryData<string, string> Unusable => new()
    {
        { "not json", "malformed_json" },
        { "not an object", "malformed_json" },
        { "missing file", "no such file" },
        { "duplicate member", "duplicate_member" },
        { "fraction in content", "number_not_integer" },
        { "no sig", "missing_signature" },
        { "sig not base64url", "sig" },
        { "sig padded", "sig" },
        { "sig 63 bytes", "sig" },
        { "sig not a string", "sig" },
        { "no purpose", "purpose" },
        { "purpose not a string", "purpose" },
    };

    /// <summary>Keys verify cannot use: exit 2. name, JWK file content, what the reason must contain.</summary>
    public static TheoryData<string, string, string> BadJwks => new()
    {
        { "not json", "not a key", "invalid_key" },
        { "empty object", "{}", "invalid_key" },
        { "wrong curve", "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\",\"y\":\"AAAA\"}", "invalid_key" },
        { "point not on curve", $"{{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"{Jwk.Base64Url(new byte[32])}\",\"y\":\"{Jwk.Base64Url(new byte[32])}\"}}", "invalid_key" },
        { "array", "[1]", "invalid_key" },
    };

    /// <summary>Content the protocol refuses to sign. name, JSON text, wire code in the reason.</summary>
    public static TheoryData<string, string, string> UnsignableContent => new()
    {
        { "fraction", "{\"amount\":12.5}", "number_not_integer" },
        { "integral float", "{\"amount\":1.0}", "number_not_integer" },
        { "exponent", "{\"amount\":1e3}", "number_not_integer" },
        { "nested fraction", "{\"a\":{\"b\":[1,0.5]}}", "number_not_integer" },
        { "2^53", "{\"amount\":9007199254740992}", "integer_out_of_range" },
        { "-2^53", "{\"amount\":-9007199254740992}", "integer_out_of_range" },
        { "2^64", "{\"amount\":18446744073709551616}", "integer_out_of_range" },
        { "duplicate member", "{\"a\":1,\"a\":1}", "duplicate_member" },
        { "not an object", "[1,2]", "malformed_json" },
        { "not json", "amount=12", "malformed_json" },
    };

    [Fact]
    public async Task Sign_Object_PrintsCanonicalSignedObjectAndNewline()
    {
        var signed = _keys.Signed;

        Assert.EndsWith("}\n", _keys.SignedText, StringComparison.Ordinal);
        Assert.Single(_keys.SignedText.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(KeysFixture.Purpose, (string?)signed["purpose"]);
        var content = JsonNode.Parse(KeysFixture.Content)!.AsObject();
        foreach (var (name, value) in content)
        {
            Assert.True(JsonNode.DeepEquals(value, signed[name]), $"member {name} changed in signing");
        }

        Assert.Equal(content.Count + 2, signed.Count);

        // The output is already canonical: canonicalize leaves it unchanged.
        var canonical = await Settle.RunAsync(_keys.Dir.Path, "canonicalize", _keys.SignedFile);
        Assert.Equal(_keys.SignedText, canonical.Stdout + "\n");
    }

    [Fact]
    public async Task Sign_Signature_VerifiesWithDotnetEcdsaOverCanonicalFormWithoutSig()
    {
        var signed = _keys.Signed;
        var signature = Jwk.FromBase64Url((string)signed["sig"]!);
        signed.Remove("sig");
        var withoutSig = _keys.Dir.Write("without-sig.json", signed.ToJsonString());
        var canonical = await Settle.RunAsync(_keys.Dir.Path, "canonicalize", withoutSig);
        var jwk = JsonNode.Parse(await File.ReadAllTextAsync(_keys.AlicePublic))!.AsObject();

        Assert.Equal(64, signature.Length);
        Assert.True(Jwk.VerifyEs256(jwk, canonical.StdoutBytes, signature));
    }

    [Fact]
    public async Task Verify_SignedBySameKey_Exits0()
    {
        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.AlicePublic, _keys.SignedFile);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("valid: ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(KeysFixture.Purpose, result.Stdout, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task Verify_MatchingPurposeOption_Exits0()
    {
        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.AlicePublic, "--purpose", KeysFixture.Purpose, _keys.SignedFile);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Verify_StandardInput_Exits0()
    {
        var result = await Settle.RunAsync(_keys.Dir.Path, Encoding.UTF8.GetBytes(_keys.SignedText), "verify", "--jwk", _keys.AlicePublic, "-");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Verify_ReformattedButSameContent_Exits0()
    {
        // Whitespace and member order are not signed: the canonical form is.
        var signed = _keys.Signed;
        var reordered = new JsonObject();
        foreach (var name in signed.Select(member => member.Key).Reverse().ToList())
        {
            reordered[name] = signed[name]?.DeepClone();
        }

        var file = _keys.Dir.Write("reordered.json", reordered.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.AlicePublic, file);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Verify_Tampered_Exits1(string tampering)
    {
        var signed = _keys.Signed;
        switch (tampering)
        {
            case "amount changed":
                signed["amount"]!["minor"] = 1251;
                break;
            case "member added":
                signed["extra"] = 1;
                break;
            case "member removed":
                signed.Remove("memo");
                break;
            case "nested array changed":
                signed["items"]!.AsArray()[2] = 4;
                break;
            case "string changed":
                signed["memo"] = "dinner";
                break;
            case "purpose changed":
                signed["purpose"] = "another-purpose";
                break;
            case "sig of other content":
                var other = _keys.Dir.Write("other-content.json", "{\"other\":1}");
                var otherSigned = await Settle.RunAsync(_keys.Dir.Path, "sign", "--key", _keys.AlicePrivate, "--purpose", KeysFixture.Purpose, other);
                signed["sig"] = JsonNode.Parse(otherSigned.Stdout)!["sig"]!.DeepClone();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tampering), tampering, null);
        }

        var file = _keys.Dir.Write($"tampered-{tampering.Replace(' ', '-')}.json", signed.ToJsonString());

        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.AlicePublic, file);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Empty(result.Stdout);
        Assertions.OneLineReason(result, file, "not valid");
    }

    [Fact]
    public async Task Verify_AnotherKey_Exits1()
    {
        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.BobPublic, _keys.SignedFile);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assertions.OneLineReason(result, _keys.SignedFile, "bad_signature");
    }

    [Fact]
    public async Task Verify_WrongPurposeOption_Exits1()
    {
        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.AlicePublic, "--purpose", "payment-request", _keys.SignedFile);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assertions.OneLineReason(result, _keys.SignedFile, "not valid");
    }

    [Theory]
    [MemberData(nameof(Unusable))]
    public async Task Verify_Unusable_Exits2(string name, string reason)
    {
        var signed = _keys.Signed;
        string? text = null;
        switch (name)
        {
            case "not json":
                text = "signed: yes";
                break;
            case "not an object":
                text = $"[{_keys.SignedText}]";
                break;
            case "missing file":
                break;
            case "duplicate member":
                text = _keys.SignedText.Replace("{\"agreementId\"", "{\"memo\":\"x\",\"agreementId\"", StringComparison.Ordinal);
                break;
            case "fraction in content":
                signed["amount"]!["minor"] = 12.5m;
                text = signed.ToJsonString();
                break;
            case "no sig":
                signed.Remove("sig");
                text = signed.ToJsonString();
                break;
            case "sig not base64url":
                signed["sig"] = "not*base64url!";
                text = signed.ToJsonString();
                break;
            case "sig padded":
                signed["sig"] = (string)signed["sig"]! + "==";
                text = signed.ToJsonString();
                break;
            case "sig 63 bytes":
                signed["sig"] = Jwk.Base64Url(Jwk.FromBase64Url((string)signed["sig"]!)[..63]);
                text = signed.ToJsonString();
                break;
            case "sig not a string":
                signed["sig"] = 1;
                text = signed.ToJsonString();
                break;
            case "no purpose":
                signed.Remove("purpose");
                text = signed.ToJsonString();
                break;
            case "purpose not a string":
                signed["purpose"] = 7;
                text = signed.ToJsonString();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }

        var file = _keys.Dir.File($"unusable-{name.Replace(' ', '-')}.json");
        if (text is not null)
        {
            await File.WriteAllTextAsync(file, text);
        }

        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.AlicePublic, file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Stdout);
        Assertions.OneLineReason(result, file, reason);
    }

    [Theory]
    [MemberData(nameof(BadJwks))]
    public async Task Verify_BadJwk_Exits2(string name, string content, string reason)
    {
        var jwk = _keys.Dir.Write($"bad-jwk-{name.Replace(' ', '-')}.json", content);

        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", jwk, _keys.SignedFile);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, jwk, reason);
    }

    [Fact]
    public async Task Verify_PrivateJwk_Exits2AndSaysAPublicKeyIsExpected()
    {
        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.AlicePrivate, _keys.SignedFile);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, _keys.AlicePrivate, "public JWK");
    }

    [Fact]
    public async Task Verify_MissingJwkFile_Exits2()
    {
        var missing = _keys.Dir.File("no-such.jwk");

        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", missing, _keys.SignedFile);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, missing, "no such file");
    }

    [Theory]
    [MemberData(nameof(UnsignableContent))]
    public async Task Sign_UnsignableContent_Exits2WithClearMessage(string name, string content, string wireCode)
    {
        var file = _keys.Dir.Write($"unsignable-{name.Replace(' ', '-').Replace('^', '_')}.json", content);

        var result = await Settle.RunAsync(_keys.Dir.Path, "sign", "--key", _keys.AlicePrivate, "--purpose", KeysFixture.Purpose, file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Stdout);
        Assertions.OneLineReason(result, file, wireCode);
    }

    [Fact]
    public async Task Sign_PublicKeyAsKey_Exits2AndSaysAPrivateKeyIsNeeded()
    {
        var result = await Settle.RunAsync(_keys.Dir.Path, "sign", "--key", _keys.AlicePublic, "--purpose", KeysFixture.Purpose, _keys.ContentFile);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, _keys.AlicePublic, "private key");
    }

    [Fact]
    public async Task Sign_AlreadySignedObject_Exits2()
    {
        var result = await Settle.RunAsync(_keys.Dir.Path, "sign", "--key", _keys.AlicePrivate, "--purpose", KeysFixture.Purpose, _keys.SignedFile);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, _keys.SignedFile, "already has a \"sig\"");
    }

    [Fact]
    public async Task Sign_ContentWithOtherPurpose_Exits2()
    {
        var file = _keys.Dir.Write("other-purpose.json", "{\"purpose\":\"something-else\",\"n\":1}");

        var result = await Settle.RunAsync(_keys.Dir.Path, "sign", "--key", _keys.AlicePrivate, "--purpose", KeysFixture.Purpose, file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, file, "wrong_purpose");
    }

    [Theory]
    [InlineData("sign")]
    [InlineData("verify")]
    public async Task Purpose_EmptyOption_Exits2(string command)
    {
        string[] args = command == "sign"
            ? ["sign", "--key", _keys.AlicePrivate, "--purpose", "", _keys.ContentFile]
            : ["verify", "--jwk", _keys.AlicePublic, "--purpose", "", _keys.SignedFile];

        var result = await Settle.RunAsync(_keys.Dir.Path, args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, "--purpose", "empty");
    }

    [Fact]
    public async Task Verify_PurposeOptionButObjectHasNone_Exits2()
    {
        var signed = _keys.Signed;
        signed.Remove("purpose");
        var file = _keys.Dir.Write("no-purpose-with-option.json", signed.ToJsonString());

        var result = await Settle.RunAsync(_keys.Dir.Path, "verify", "--jwk", _keys.AlicePublic, "--purpose", KeysFixture.Purpose, file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, file, "missing_field");
    }

    [Fact]
    public async Task Sign_MissingInput_Exits2()
    {
        var missing = _keys.Dir.File("missing-content.json");

        var result = await Settle.RunAsync(_keys.Dir.Path, "sign", "--key", _keys.AlicePrivate, "--purpose", KeysFixture.Purpose, missing);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, missing, "no such file");
    }

    [Fact]
    public async Task Sign_StandardInput_VerifiesWithMatchingPurpose()
    {
        var signed = await Settle.RunAsync(_keys.Dir.Path, Encoding.UTF8.GetBytes("{\"n\":1}"), "sign", "--key", _keys.BobPrivate, "--purpose", "from-stdin", "-");
        Assert.True(signed.ExitCode == 0, signed.ToString());

        var verified = await Settle.RunAsync(_keys.Dir.Path, signed.StdoutBytes, "verify", "--jwk", _keys.BobPublic, "--purpose", "from-stdin", "-");

        Assert.True(verified.ExitCode == 0, verified.ToString());
    }
}
