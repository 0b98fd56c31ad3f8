using System.Text.Json.Nodes;

namespace OrleansSettlement.Cli.Tests;

public sealed class KeygenTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Keygen_NewFile_WritesOwnerOnlyKeyAndPrintsMatchingThumbprint()
    {
        var result = await Settle.RunAsync(_dir.Path, "keygen", "--out", "alice.key");

        Assert.True(result.ExitCode == 0, result.ToString());
        var (publicJwk, thumbprint) = ParseKeygenOutput(result);
        Assert.Equal(Jwk.Thumbprint(publicJwk), thumbprint);
        Assert.Equal(43, thumbprint.Length);
        Assert.Equal(["crv", "kty", "x", "y"], publicJwk.Select(member => member.Key).Order(StringComparer.Ordinal));

        var privateJwk = JsonNode.Parse(await File.ReadAllTextAsync(_dir.File("alice.key")))!.AsObject();
        Assert.Equal("EC", (string?)privateJwk["kty"]);
        Assert.Equal("P-256", (string?)privateJwk["crv"]);
        Assert.Equal((string?)publicJwk["x"], (string?)privateJwk["x"]);
        Assert.Equal((string?)publicJwk["y"], (string?)privateJwk["y"]);
        Assert.Equal(32, Jwk.FromBase64Url((string)privateJwk["d"]!).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(_dir.File("alice.key")));
        }
    }

    [Fact]
    public async Task Keygen_PublicOut_WritesThePrintedPublicJwk()
    {
        var result = await Settle.RunAsync(_dir.Path, "keygen", "--out", "bob.key", "--public-out", "bob.pub.jwk");

        Assert.True(result.ExitCode == 0, result.ToString());
        var (publicJwk, _) = ParseKeygenOutput(result);
        var written = await File.ReadAllTextAsync(_dir.File("bob.pub.jwk"));
        Assert.Equal(publicJwk.ToJsonString() + "\n", written);
        Assert.False(JsonNode.Parse(written)!.AsObject().ContainsKey("d"));
    }

    [Fact]
    public async Task Keygen_TwoRuns_MakeDifferentKeys()
    {
        var first = await Settle.RunAsync(_dir.Path, "keygen", "--out", "one.key");
        var second = await Settle.RunAsync(_dir.Path, "keygen", "--out", "two.key");

        Assert.NotEqual(ParseKeygenOutput(first).Thumbprint, ParseKeygenOutput(second).Thumbprint);
    }

    [Theory]
    [InlineData("--out")]
    [InlineData("--public-out")]
    public async Task Keygen_ExistingFile_RefusedWithoutForce(string which)
    {
        var existing = _dir.Write("existing", "keep me");
        string[] args = which == "--out"
            ? ["keygen", "--out", existing]
            : ["keygen", "--out", _dir.File("new.key"), "--public-out", existing];

        var result = await Settle.RunAsync(_dir.Path, args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, existing, "--force");
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
        Assert.False(File.Exists(_dir.File("new.key")), "nothing is written when one target is refused");
    }

    [Fact]
    public async Task Keygen_ForceOverWideFile_ReplacesItWithOwnerOnlyKey()
    {
        var existing = _dir.Write("old.key", "old");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(existing, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var result = await Settle.RunAsync(_dir.Path, "keygen", "--out", existing, "--force");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(JsonNode.Parse(await File.ReadAllTextAsync(existing))!.AsObject().ContainsKey("d"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(existing));
        }

        Assert.Equal(["old.key"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Keygen_MissingDirectory_Exits2()
    {
        var target = Path.Combine(_dir.Path, "no", "such", "dir", "k.key");

        var result = await Settle.RunAsync(_dir.Path, "keygen", "--out", target);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, target, "no such directory");
    }

    [Fact]
    public async Task Keygen_WithoutOut_FailsWithoutStackTrace()
    {
        var result = await Settle.RunAsync(_dir.Path, "keygen");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--out", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>keygen prints 'private key: ...', 'public jwk: {...}', 'thumbprint: ...'.</summary>
    internal static (JsonObject Jwk, string Thumbprint) ParseKeygenOutput(SettleResult result)
    {
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var jwk = lines.Single(line => line.StartsWith("public jwk: ", StringComparison.Ordinal))["public jwk: ".Length..];
        var thumbprint = lines.Single(line => line.StartsWith("thumbprint: ", StringComparison.Ordinal))["thumbprint: ".Length..];
        return (JsonNode.Parse(jwk)!.AsObject(), thumbprint);
    }

    public void Dispose() => _dir.Dispose();
}
