namespace OrleansSettlement.Cli.Tests;

public sealed class HelpTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    /// <summary>command, the arguments and options its help must mention.</summary>
    public static TheoryData<string, string[]> Commands => new()
    {
        { "canonicalize", ["FILE", "standard input", "RFC 8785"] },
        { "keygen", ["--out", "--force", "--public-out", "0600", "thumbprint"] },
        { "sign", ["--key", "--purpose", "FILE", "sig"] },
        { "verify", ["--jwk", "--purpose", "FILE", "0  valid", "1  not valid", "2  the check could not run"] },
        { "bench", ["--duration", "--payers", "--banks", "--stores", "--rate", "--concurrency", "--storage", "--path", "--hot-grains", "--json", "Exit codes: 0", "1 a checkout failed", "2 wrong options"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_EachCommand_Exits0AndMentionsItsArguments(string command, string[] mentions)
    {
        var result = await Settle.RunAsync(_dir.Path, command, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var mention in mentions)
        {
            Assert.Contains(mention, result.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_Root_ListsTheCryptoCommands()
    {
        var result = await Settle.RunAsync(_dir.Path, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var command in new[] { "canonicalize", "keygen", "sign", "verify" })
        {
            Assert.Contains(command, result.Stdout, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("verify", "--jwk")]
    [InlineData("sign", "--key")]
    [InlineData("sign", "--purpose")]
    public async Task Usage_MissingRequiredOption_FailsNamingItWithoutStackTrace(string command, string option)
    {
        var file = _dir.Write("x.json", "{}");

        var result = await Settle.RunAsync(_dir.Path, command, file);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
