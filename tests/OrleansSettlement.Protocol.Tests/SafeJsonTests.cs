using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Messages;

namespace OrleansSettlement.Protocol.Tests;

public class SafeJsonTests
{
    [Theory]
    [InlineData("{\"a\":0}")]
    [InlineData("{\"a\":-0}")]
    [InlineData("{\"a\":9007199254740991}")]
    [InlineData("{\"a\":-9007199254740991}")]
    [InlineData("{\"a\":[1,{\"b\":[-2]}],\"c\":\"\\ud83d\\ude02\",\"d\":null,\"e\":true}")]
    public void ParseObject_SafeContent_IsAccepted(string json)
    {
        var result = SafeJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.True(result.IsOk, result.Error?.ToString());
        Assert.Null(SafeJson.Check(result.Value));
    }

    [Theory]
    [InlineData("{\"a\":1.5}", ProtocolErrorCode.NumberNotInteger)]
    [InlineData("{\"a\":1.0}", ProtocolErrorCode.NumberNotInteger)]
    [InlineData("{\"a\":1e2}", ProtocolErrorCode.NumberNotInteger)]
    [InlineData("{\"a\":1E+2}", ProtocolErrorCode.NumberNotInteger)]
    [InlineData("{\"a\":0e0}", ProtocolErrorCode.NumberNotInteger)]
    [InlineData("{\"a\":1e400}", ProtocolErrorCode.NumberNotInteger)]
    [InlineData("{\"a\":[1,2,{\"b\":-0.5}]}", ProtocolErrorCode.NumberNotInteger)]
    [InlineData("{\"a\":9007199254740992}", ProtocolErrorCode.IntegerOutOfRange)]
    [InlineData("{\"a\":-9007199254740992}", ProtocolErrorCode.IntegerOutOfRange)]
    [InlineData("{\"a\":18446744073709551616}", ProtocolErrorCode.IntegerOutOfRange)]
    [InlineData("{\"a\":123456789012345678901234567890}", ProtocolErrorCode.IntegerOutOfRange)]
    [InlineData("{\"a\":1,\"a\":1}", ProtocolErrorCode.DuplicateMember)]
    [InlineData("{\"a\":{\"b\":{\"c\":1,\"c\":2}}}", ProtocolErrorCode.DuplicateMember)]
    [InlineData("{\"a\":\"\\ud800\"}", ProtocolErrorCode.MalformedJson)]
    [InlineData("{\"\\udc00\":1}", ProtocolErrorCode.MalformedJson)]
    [InlineData("{\"a\":[1,{\"b\":\"x\\udfff\"}]}", ProtocolErrorCode.MalformedJson)]
    [InlineData("[1]", ProtocolErrorCode.MalformedJson)]
    [InlineData("\"text\"", ProtocolErrorCode.MalformedJson)]
    [InlineData("null", ProtocolErrorCode.MalformedJson)]
    [InlineData("{}{}", ProtocolErrorCode.MalformedJson)]
    [InlineData("{\"a\":1} x", ProtocolErrorCode.MalformedJson)]
    [InlineData("{\"a\":01}", ProtocolErrorCode.MalformedJson)]
    [InlineData("", ProtocolErrorCode.MalformedJson)]
    public void ParseObject_UnsafeContent_IsRefusedWithCode(string json, ProtocolErrorCode expected)
    {
        var result = SafeJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.False(result.IsOk);
        Assert.Equal(expected, result.Error.Code);
    }

    [Fact]
    public void ParseObject_RefusedNumber_NamesItsPath()
    {
        var result = SafeJson.ParseObject("{\"items\":[{\"amount\":1.5}]}");

        Assert.Equal(ProtocolErrorCode.NumberNotInteger, result.Error?.Code);
        Assert.Contains("$.items[0].amount", result.Error!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseObject_NestingLimit_IsEnforced()
    {
        // The top object is level 1.
        var atLimit = "{\"a\":" + new string('[', SafeJson.MaxDepth - 1) + new string(']', SafeJson.MaxDepth - 1) + "}";
        var overLimit = "{\"a\":" + new string('[', SafeJson.MaxDepth) + new string(']', SafeJson.MaxDepth) + "}";

        Assert.True(SafeJson.ParseObject(atLimit).IsOk);
        Assert.Equal(ProtocolErrorCode.MalformedJson, SafeJson.ParseObject(overLimit).Error?.Code);
        Assert.Null(SafeJson.Check(JsonNode.Parse(atLimit)));
        Assert.Equal(ProtocolErrorCode.MalformedJson, SafeJson.Check(JsonNode.Parse(overLimit))?.Code);
    }

    [Fact]
    public void ParseObject_ParsedNumbers_ReadAsIntegers()
    {
        var obj = SafeJson.ParseObject("{\"a\":9007199254740991,\"b\":-7}").Value;

        Assert.Equal(SafeJson.MaxSafeInteger, obj["a"]!.GetValue<long>());
        Assert.Equal(-7, obj["b"]!.GetValue<int>());
    }

    [Fact]
    public void Check_BuiltTrees_ApplyTheSameRules()
    {
        Assert.Null(SafeJson.Check(null));
        Assert.Null(SafeJson.Check(new JsonObject { ["a"] = SafeJson.MaxSafeInteger, ["b"] = -SafeJson.MaxSafeInteger, ["c"] = 5.0, ["d"] = 7 }));
        Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, SafeJson.Check(new JsonObject { ["a"] = SafeJson.MaxSafeInteger + 1 })?.Code);
        Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, SafeJson.Check(new JsonArray(long.MinValue))?.Code);
        Assert.Equal(ProtocolErrorCode.IntegerOutOfRange, SafeJson.Check(new JsonArray(ulong.MaxValue))?.Code);
        Assert.Equal(ProtocolErrorCode.NumberNotInteger, SafeJson.Check(new JsonObject { ["a"] = 0.5 })?.Code);
        Assert.Equal(ProtocolErrorCode.NumberNotInteger, SafeJson.Check(new JsonObject { ["a"] = 5.0m })?.Code);
        Assert.Equal(ProtocolErrorCode.NumberNotInteger, SafeJson.Check(new JsonObject { ["a"] = 1e300 })?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedJson, SafeJson.Check(new JsonObject { ["a"] = double.NaN })?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedJson, SafeJson.Check(new JsonObject { ["a"] = "x\udc00" })?.Code);
        Assert.Equal(ProtocolErrorCode.MalformedJson, SafeJson.Check(new JsonObject { ["\ud800"] = 1 })?.Code);
        Assert.Equal(ProtocolErrorCode.DuplicateMember, SafeJson.Check(JsonNode.Parse("{\"a\":1,\"a\":1}"))?.Code);
        Assert.Equal(ProtocolErrorCode.NumberNotInteger, SafeJson.Check(JsonValue.Create(new { amount = 1.5 }))?.Code);
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("-0", true)]
    [InlineData("9007199254740991", true)]
    [InlineData("-9007199254740991", true)]
    [InlineData("9007199254740992", false)]
    [InlineData("99999999999999999999", false)]
    [InlineData("1.0", false)]
    [InlineData("1e1", false)]
    [InlineData("-", false)]
    [InlineData("", false)]
    [InlineData("+1", false)]
    public void CheckNumberLexeme_Lexemes_FollowTheIntegerRule(string lexeme, bool accepted)
    {
        Assert.Equal(accepted, SafeJson.CheckNumberLexeme(lexeme) is null);
    }

    private const string ResultText =
        "{\"agreementId\":\"ndh_ZXJQBDAMgrJJHW_I6RhPXs2JYp0HeeW5QqjYLYY\",\"decidedAt\":\"2026-11-26T10:02:00Z\",\"institution\":\"bank-a\"," +
        "\"kid\":\"5WPY5YBJPbEpaTXpbFZ8cAsCym13evYx8PZR3P0kFKw\",\"purpose\":\"osettle.verification-result.v1\",\"verdict\":\"valid\",\"sig\":\"AAAA\"}";

    [Fact]
    public void ParseMessage_ReadsWhatParseObjectThenParseRead()
    {
        var once = SafeJson.ParseMessage(ResultText, obj => VerificationResult.Parse(obj));
        var twice = VerificationResult.Parse(SafeJson.ParseObject(ResultText).Value);

        Assert.True(once.IsOk);
        Assert.Equal(twice.Value.Id, once.Value.Id);
        Assert.Equal(twice.Value.Value.Institution, once.Value.Value.Institution);
    }

    [Fact]
    public void ParseMessage_RefusedText_IsTheParseErrorAndNothingIsRead()
    {
        var read = false;
        var result = SafeJson.ParseMessage("{\"a\":1.5}", obj =>
        {
            read = true;
            return VerificationResult.Parse(obj);
        });

        Assert.Equal(ProtocolErrorCode.NumberNotInteger, result.Error?.Code);
        Assert.False(read);
    }

    [Fact]
    public void ParseMessage_TrustsOnlyTheTreeItParsed_WhileItReadsIt()
    {
        // Another tree read inside the same call is checked as always.
        var other = (JsonObject)JsonNode.Parse(ResultText.Replace("\"verdict\"", "\"x\":1.5,\"verdict\"", StringComparison.Ordinal))!;
        var inside = SafeJson.ParseMessage(ResultText, _ => VerificationResult.Parse(other));
        Assert.Equal(ProtocolErrorCode.NumberNotInteger, inside.Error?.Code);

        // The parsed tree itself, changed after the call, is checked again.
        JsonObject? kept = null;
        SafeJson.ParseMessage(ResultText, obj =>
        {
            kept = obj;
            return VerificationResult.Parse(obj);
        });
        kept!["x"] = 1.5;
        Assert.Equal(ProtocolErrorCode.NumberNotInteger, VerificationResult.Parse(kept).Error?.Code);
    }
}
