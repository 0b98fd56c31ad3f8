using System.Diagnostics;
using OrleansSettlement.Cli.Demo;
using OrleansSettlement.Cli.Service;

namespace OrleansSettlement.Service.Tests.Demo;

/// <summary>
/// <c>settle demo</c>'s refusals as a real process (no service needed), the admin token file, and the arithmetic of the
/// shares and notes.
/// </summary>
public sealed class DemoCommandTests : IDisposable
{
    private const string StackTraceMarker = "   at ";
    private readonly string _root = Directory.CreateTempSubdirectory("settle-demo-cli-").FullName;

    public DemoCommandTests() => File.WriteAllText(Path.Combine(_root, "OrleansSettlement.sln"), string.Empty);

    [Theory]
    [InlineData("--payers", "1", "--payers must be between 2 and 32")]
    [InlineData("--payers", "33", "--payers must be between 2 and 32")]
    [InlineData("--banks", "6", "--banks must be between 1 and 5")]
    [InlineData("--store-bank", "bank-x", "--store-bank must be one of the demo banks")]
    [InlineData("--amount", "2", "--amount must be between 3")]
    [InlineData("--url", "ftp://example", "--url must be an http or https address")]
    public async Task Demo_BadOption_ExitsTwoSayingWhy(string option, string value, string message)
    {
        var (exitCode, _, stderr) = await RunSettleAsync("demo", option, value);

        Assert.True(exitCode == 2, $"exit {exitCode}: {stderr}");
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceMarker, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_NoServiceListening_ExitsTwoSayingHowToStartIt()
    {
        var port = FreePorts.Take(1)[0];

        var (exitCode, stdout, stderr) = await RunSettleAsync("demo", "--url", $"http://127.0.0.1:{port}", "--json");

        Assert.True(exitCode == 2, $"exit {exitCode}: {stderr}");
        Assert.Contains("does not answer", stderr, StringComparison.Ordinal);
        Assert.Contains("./settle up", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
        Assert.DoesNotContain(StackTraceMarker, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_Help_DescribesOptionsAndExitCodes()
    {
        var (exitCode, stdout, _) = await RunSettleAsync("demo", "--help");

        Assert.Equal(0, exitCode);
        foreach (var mention in new[] { "--payers", "--banks", "--store-bank", "--amount", "--json", "--url", "--admin-token", "./settle up", "0 settled", "2 wrong options" })
        {
            Assert.Contains(mention, stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AdminToken_FirstAndLaterStarts_MadeOnceOwnerOnlyThenReused()
    {
        var path = Path.Combine(_root, ".settle", "admin.token");

        var first = AdminToken.LoadOrCreate(path, out var created);
        var again = AdminToken.LoadOrCreate(path, out var createdAgain);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(first.Token, again.Token);
        Assert.Equal(43, first.Token.Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Theory]
    [InlineData(12_000, 3, new long[] { 4_000, 4_000, 4_000 })]
    [InlineData(10_001, 4, new long[] { 2_501, 2_500, 2_500, 2_500 })]
    [InlineData(12_000, 7, new long[] { 1_715, 1_715, 1_714, 1_714, 1_714, 1_714, 1_714 })]
    [InlineData(2, 2, new long[] { 1, 1 })]
    public void Shares_SumExactlyFirstOnesLarger(long total, int payers, long[] expected)
    {
        var shares = DemoSettings.Shares(total, payers);

        Assert.Equal(expected, shares);
        Assert.Equal(total, shares.Sum());
    }

    [Theory]
    [InlineData(4_000, new long[] { 4_000, 500 })]
    [InlineData(1_715, new long[] { 2_000 })]
    [InlineData(1, new long[] { 1_000 })]
    public void NotesFor_WorthMoreThanTheShare(long share, long[] expected)
    {
        var notes = DemoSettings.NotesFor(share);

        Assert.Equal(expected, notes);
        Assert.True(notes.Sum() > share);
        Assert.True(DemoSettings.DepositFor(share, notes) >= notes.Sum());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A scratch folder left in /tmp is harmless.
        }
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunSettleAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "settle.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SETTLE_ROOT"] = _root;
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
