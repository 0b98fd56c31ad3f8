using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Protocol.Tests;

public class Base64UrlTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("f", "Zg")]
    [InlineData("fo", "Zm8")]
    [InlineData("foo", "Zm9v")]
    [InlineData("foob", "Zm9vYg")]
    [InlineData("fooba", "Zm9vYmE")]
    [InlineData("foobar", "Zm9vYmFy")]
    public void Encode_Rfc4648Vectors_HaveNoPadding(string text, string expected)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);

        Assert.Equal(expected, Base64Url.Encode(bytes));
        Assert.True(Base64Url.TryDecode(expected, out var decoded));
        Assert.Equal(bytes, decoded);
    }

    [Fact]
    public void Encode_UrlAlphabet_UsesDashAndUnderscore()
    {
        Assert.Equal("-_-_", Base64Url.Encode([0xFB, 0xFF, 0xBF]));
        Assert.Equal([0xFB, 0xFF, 0xBF], Base64Url.Decode("-_-_", "x").Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Zg==")] // padding
    [InlineData("Zg=")]
    [InlineData("Zm8=")]
    [InlineData("+/+/")] // standard alphabet
    [InlineData("Zm9v ")] // whitespace
    [InlineData(" Zm9v")]
    [InlineData("Zm\n9v")]
    [InlineData("Zm9\tv")]
    [InlineData("Z")] // length % 4 == 1
    [InlineData("Zm9vY")]
    [InlineData("Zh")] // spare bits set: 'h' = 33 = 100001, low 4 bits non-zero
    [InlineData("Zm9")] // '9' = 61 = 111101, low 2 bits non-zero
    [InlineData("Zm-")]
    [InlineData("Zé9v")] // non-ASCII
    [InlineData("Zm9v\0")]
    public void TryDecode_NonStrictText_IsRefused(string? text)
    {
        Assert.False(Base64Url.TryDecode(text, out var bytes));
        Assert.Null(bytes);
        var outcome = Base64Url.Decode(text, "field");
        Assert.Equal(ProtocolErrorCode.InvalidBase64Url, outcome.Error?.Code);
        Assert.StartsWith("field is not strict base64url", outcome.Error!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WithExactLength_RefusesOtherLengths()
    {
        var text = Base64Url.Encode(new byte[31]);

        Assert.Equal(ProtocolErrorCode.InvalidBase64Url, Base64Url.Decode(text, "x", 32).Error?.Code);
        Assert.True(Base64Url.Decode(Base64Url.Encode(new byte[32]), "x", 32).IsOk);
    }

    [Fact]
    public void Of_Sha256OfAbc_IsKnownDigest()
    {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
        Assert.Equal("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0", Sha256Id.Of("abc"u8));
        Assert.Equal(Sha256Id.Length, Sha256Id.Of([]).Length);
    }
}
