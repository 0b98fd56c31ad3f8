namespace OrleansSettlement.Cli.Tests;

/// <summary><c>settle chaos</c> explains itself and refuses options it cannot use with exit 2, before starting anything.</summary>
public sealed class ChaosUsageTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public async Task Help_NamesTheReplayAndTheExitCodes()
    {
        var result = await Settle.RunAsync(_dir.Path, "chaos", "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var mention in new[] { "--scenarios", "--seed", "--only", "--concurrency", "--json", "./settle chaos --seed S --scenarios N --only K", "Exit codes: 0" })
        {
            Assert.Contains(mention, result.Stdout, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--scenarios", "0")]
    [InlineData("--seed", "-1")]
    [InlineData("--concurrency", "65")]
    [InlineData("--only", "3")]
    public async Task Usage_UnusableOption_Exits2NamingItWithoutStackTrace(string option, string value)
    {
        var result = await Settle.RunAsync(_dir.Path, "chaos", option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Settle.StackTraceMarker, result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
