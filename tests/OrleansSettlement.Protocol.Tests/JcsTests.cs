using System.Globalization;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;

namespace OrleansSettlement.Protocol.Tests;

public class JcsTests
{
    [Fact]
    public void SerializeNumber_EcmaScriptReferenceNumbers_MatchNodeJs()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.TestData, "es-numbers.txt"));
        var failures = new List<string>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            var value = BitConverter.Int64BitsToDouble(long.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            var actual = Jcs.SerializeNumber(value);
            if (actual != parts[1])
            {
                failures.Add($"{parts[0]}: expected {parts[1]}, got {actual}");
            }
        }

        Assert.True(lines.Length >= 3000, $"only {lines.Length} numbers read");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
    }

    [Theory]
    [InlineData("0000000000000000", "0")]
    [InlineData("8000000000000000", "0")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("7fefffffffffffff", "1.7976931348623157e+308")]
    [InlineData("4340000000000000", "9007199254740992")]
    [InlineData("4430000000000000", "295147905179352830000")]
    [InlineData("44b52d02c7e14af6", "1e+23")]
    [InlineData("444b1ae4d6e2ef50", "1e+21")]
    [InlineData("3eb0c6f7a0b5ed8c", "9.999999999999997e-7")]
    [InlineData("3eb0c6f7a0b5ed8d", "0.000001")]
    [InlineData("41b3de4355555554", "333333333.33333325")]
    [InlineData("becbf647612f3696", "-0.0000033333333333333333")]
    [InlineData("43143ff3c1cb0959", "1424953923781206.2")]
    public void SerializeNumber_Rfc8785AppendixB_MatchesTable(string bits, string expected)
    {
        var value = BitConverter.Int64BitsToDouble(long.Parse(bits, NumberStyles.HexNumber, CultureInfo.InvariantCulture));

        Assert.Equal(expected, Jcs.SerializeNumber(value));
    }

    [Fact]
    public void Canonicalize_GeneratedDocuments_MatchJavaScriptReference()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.TestData, "jcs-generated.txt"));
        var failures = new List<string>();
        foreach (var (line, index) in lines.Select((l, i) => (l, i)))
        {
            var parts = line.Split(' ');
            var input = Convert.FromBase64String(parts[0]);
            var expected = Convert.FromBase64String(parts[1]);

            var fromBytes = Jcs.Canonicalize(input);
            var fromTree = Jcs.Canonicalize(JsonNode.Parse(input));

            if (!fromBytes.IsOk || !fromBytes.Value.AsSpan().SequenceEqual(expected) || !fromTree.AsSpan().SequenceEqual(expected))
            {
                failures.Add($"line {index + 1}: {System.Text.Encoding.UTF8.GetString(input)} -> {(fromBytes.IsOk ? System.Text.Encoding.UTF8.GetString(fromBytes.Value) : fromBytes.Error.ToString())}");
            }
        }

        Assert.True(lines.Length >= 500, $"only {lines.Length} documents read");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(10)));
    }

    [Theory]
    [InlineData("", ProtocolErrorCode.MalformedJson)]
    [InlineData("   ", ProtocolErrorCode.MalformedJson)]
    [InlineData("{} {}", ProtocolErrorCode.MalformedJson)]
    [InlineData("[1] x", ProtocolErrorCode.MalformedJson)]
    [InlineData("[1,]", ProtocolErrorCode.MalformedJson)]
    [InlineData("{\"a\":1,}", ProtocolErrorCode.MalformedJson)]
    [InlineData("[1 /* c */]", ProtocolErrorCode.MalformedJson)]
    [InlineData("['a']", ProtocolErrorCode.MalformedJson)]
    [InlineData("[NaN]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[Infinity]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[01]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[1.]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[+1]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[1e400]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[-1e400]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[\"\\ud800\"]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[\"\\udc00\"]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[\"\\ude02\\ud83d\"]", ProtocolErrorCode.MalformedJson)]
    [InlineData("{\"\\ud800\":1}", ProtocolErrorCode.MalformedJson)]
    [InlineData("[\"\\x\"]", ProtocolErrorCode.MalformedJson)]
    [InlineData("[\"a\tb\"]", ProtocolErrorCode.MalformedJson)]
    [InlineData("{\"a\":1,\"a\":1}", ProtocolErrorCode.DuplicateMember)]
    [InlineData("{\"a\":1,\"\\u0061\":2}", ProtocolErrorCode.DuplicateMember)]
    [InlineData("[{\"x\":[{\"b\":1,\"c\":2,\"b\":3}]}]", ProtocolErrorCode.DuplicateMember)]
    public void Canonicalize_InvalidText_IsRefused(string json, ProtocolErrorCode expected)
    {
        var result = Jcs.Canonicalize(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsOk);
        Assert.Equal(expected, result.Error.Code);
    }

    [Theory]
    [InlineData(new byte[] { 0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D })] // ["<UTF-8 of a surrogate>"]
    [InlineData(new byte[] { 0x5B, 0x22, 0xC3, 0x22, 0x5D })] // truncated sequence
    [InlineData(new byte[] { 0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D })] // overlong
    [InlineData(new byte[] { 0x5B, 0x22, 0xFF, 0x22, 0x5D })]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x5B, 0x5D })] // byte order mark
    public void Canonicalize_InvalidUtf8_IsRefusedNotReplaced(byte[] utf8)
    {
        var result = Jcs.Canonicalize(utf8);

        Assert.False(result.IsOk);
        Assert.Equal(ProtocolErrorCode.MalformedJson, result.Error.Code);
    }

    [Theory]
    [InlineData("\"\\u00e9\\/\\u20AC\"", "\"é/€\"")]
    [InlineData("\"\\u007f\\u0080\\u2028\"", "\"\u007f\u0080\u2028\"")]
    [InlineData("\"\\u0000\\u0007\\u001F\\b\\t\\n\\f\\r\"", "\"\\u0000\\u0007\\u001f\\b\\t\\n\\f\\r\"")]
    [InlineData("[-0, 0.0, -0.0, 1E+2, 1.5e-7, 1e-400]", "[0,0,0,100,1.5e-7,0]")]
    [InlineData("[9007199254740993, 123456789012345678901234567890]", "[9007199254740992,1.2345678901234568e+29]")]
    [InlineData(" \r\n\t{ \"b\" : [ ] , \"a\" : { } } \n", "{\"a\":{},\"b\":[]}")]
    [InlineData("{\"\\ud83d\\ude02\":1,\"\\uffff\":2,\"\\u00e9\":3,\"Z\":4,\"a\":5}", "{\"Z\":4,\"a\":5,\"é\":3,\"😂\":1,\"\uffff\":2}")]
    [InlineData("null", "null")]
    [InlineData("\"top\"", "\"top\"")]
    public void Canonicalize_ValidText_GivesCanonicalForm(string json, string expected)
    {
        var result = Jcs.Canonicalize(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.True(result.IsOk, result.Error?.ToString());
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(result.Value));
    }

    [Fact]
    public void Canonicalize_StringArgument_IsReadAsJsonText()
    {
        Assert.Equal("{\"a\":1,\"b\":2}"u8.ToArray(), Jcs.Canonicalize("{ \"b\": 2, \"a\": 1 }").Value);
        Assert.Equal(ProtocolErrorCode.MalformedJson, Jcs.Canonicalize("[\"\ud800\"]").Error?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedJson, Jcs.Canonicalize("not json").Error?.Code);
    }

    [Fact]
    public void Canonicalize_NestingLimit_IsEnforced()
    {
        var atLimit = new string('[', Jcs.MaxDepth) + new string(']', Jcs.MaxDepth);
        var overLimit = new string('[', Jcs.MaxDepth + 1) + new string(']', Jcs.MaxDepth + 1);

        Assert.True(Jcs.Canonicalize(System.Text.Encoding.UTF8.GetBytes(atLimit)).IsOk);
        Assert.Equal(ProtocolErrorCode.MalformedJson, Jcs.Canonicalize(System.Text.Encoding.UTF8.GetBytes(overLimit)).Error?.Code);
    }

    [Fact]
    public void CanonicalizeToString_BuiltTree_SortsAndFormats()
    {
        var tree = new JsonObject
        {
            ["b"] = 1.0,
            ["a"] = new JsonArray(1e30, 0.1m, long.MaxValue, "x\"y", true, null),
            ["c"] = new JsonObject { ["é"] = JsonValue.Create('\n'), ["e"] = Guid.Empty },
        };

        var text = Jcs.CanonicalizeToString(tree);

        Assert.Equal("{\"a\":[1e+30,0.1,9223372036854776000,\"x\\\"y\",true,null],\"b\":1,\"c\":{\"e\":\"00000000-0000-0000-0000-000000000000\",\"é\":\"\\n\"}}", text);
        Assert.Equal("null", Jcs.CanonicalizeToString(null));
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(text), Jcs.Canonicalize(tree));
    }

    [Fact]
    public void Canonicalize_TreeWithNonFiniteNumber_Throws()
    {
        var error = Assert.Throws<ProtocolException>(() => Jcs.Canonicalize(new JsonArray(double.NaN)));
        Assert.Equal(ProtocolErrorCode.MalformedJson, error.Error.Code);
        Assert.Throws<ProtocolException>(() => Jcs.Canonicalize(new JsonArray(double.PositiveInfinity)));
    }

    [Fact]
    public void Canonicalize_TreeWithLoneSurrogate_Throws()
    {
        Assert.Throws<ProtocolException>(() => Jcs.Canonicalize(new JsonArray("a\ud800")));
        Assert.Throws<ProtocolException>(() => Jcs.Canonicalize(new JsonObject { ["\udc00"] = 1 }));
    }

    [Fact]
    public void Canonicalize_ParsedTreeWithDuplicateNames_Throws()
    {
        // JsonNode.Parse keeps duplicate names lazily; the canonicalizer must not pick one.
        var tree = JsonNode.Parse("{\"a\":1,\"a\":2}");

        var error = Assert.Throws<ProtocolException>(() => Jcs.Canonicalize(tree));
        Assert.Equal(ProtocolErrorCode.DuplicateMember, error.Error.Code);
    }
}
