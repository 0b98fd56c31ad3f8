using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansSettlement.Service.Tests;

/// <summary>
/// <c>settle up</c>'s refusals, run as a real process in a scratch "repository" (a folder with an empty
/// OrleansSettlement.sln), so that nothing is installed, built or started.
/// </summary>
public sealed class UpCommandTests : IDisposable
{
    private const string StackTraceMarker = "   at ";
    private readonly string _root = Directory.CreateTempSubdirectory("settle-up-test-").FullName;

    public UpCommandTests() => File.WriteAllText(Path.Combine(_root, "OrleansSettlement.sln"), string.Empty);

    [Fact]
    public async Task Up_PortInUse_ExitsOneNamingThePortAndItsOption()
    {
        var free = FreePorts.Take(2);
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var busyPort = ((IPEndPoint)busy.LocalEndpoint).Port;

        var (exitCode, stdout, stderr) = await RunSettleAsync(
            "up", "--blob-port", Text(free[0]), "--queue-port", Text(free[1]), "--table-port", Text(busyPort));

        Assert.True(exitCode == 1, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains($"port {busyPort} (Azurite table) is in use", stderr, StringComparison.Ordinal);
        Assert.Contains("--table-port", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceMarker, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Starting", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10")]
    public async Task Up_SilosOutOfRange_ExitsOneSayingTheRange(string silos)
    {
        var (exitCode, stdout, stderr) = await RunSettleAsync("up", "--silos", silos);

        Assert.True(exitCode == 1, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("--silos must be between 1 and 9", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceMarker, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_Help_DescribesPortsLogsAndStopOrder()
    {
        var (exitCode, stdout, _) = await RunSettleAsync("up", "--help");

        Assert.Equal(0, exitCode);
        foreach (var mention in new[] { "--silos", "--port", "--table-port", "--reset", ".settle/logs", "in use", "Ctrl-C" })
        {
            Assert.Contains(mention, stdout, StringComparison.Ordinal);
        }
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

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

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
