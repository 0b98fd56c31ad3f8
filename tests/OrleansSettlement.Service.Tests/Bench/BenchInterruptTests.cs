using System.Diagnostics;
using System.Globalization;
using OrleansSettlement.Bench;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests.Bench;

/// <summary>
/// The bench host, run as <c>settle bench</c> runs it (a process of its own), stops on SIGINT in the middle of the
/// bounded-state mode's setup: exit code 130, and the Azurite it started is gone. It used to go on through its later
/// phases, because System.CommandLine abandoned the action 2 s after the signal and the mode never looked at its token.
/// </summary>
[Collection(BenchCollection.Name)]
public sealed class BenchInterruptTests
{
    /// <summary>A liveness limit, not a timing goal: far above the few seconds a stop takes, far below the run's length.</summary>
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sigint_DuringTheBoundedStateSetup_ExitsWith130AndLeavesNoAzurite()
    {
        var root = RepositoryRoot.Find();
        var dll = Path.Combine(root, "bench", "OrleansSettlement.Bench", "bin", "Release", "net10.0", "OrleansSettlement.Bench.dll");
        Assert.True(File.Exists(dll), $"the bench host is not built at {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { dll, "--bounded-state", "--bounded-scale", "0.05", "--json" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SETTLE_ROOT"] = root;
        using var bench = Process.Start(start)!;
        var settingUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new List<string>();
        bench.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (errors)
            {
                errors.Add(e.Data);
            }

            if (e.Data.Contains("bounded state: issuing", StringComparison.Ordinal))
            {
                settingUp.TrySetResult();
            }
        };
        bench.OutputDataReceived += (_, _) => { };
        bench.BeginErrorReadLine();
        bench.BeginOutputReadLine();
        List<int> children = [];
        try
        {
            await settingUp.Task.WaitAsync(TimeSpan.FromMinutes(3));
            children = ChildrenOf(bench.Id);
            Assert.NotEmpty(children);

            await SendAsync("INT", bench.Id);
            using var limit = new CancellationTokenSource(StopLimit);
            await bench.WaitForExitAsync(limit.Token);

            Assert.Equal(BenchCommand.Interrupted, bench.ExitCode);
            lock (errors)
            {
                Assert.Contains(errors, line => line.Contains("interrupted", StringComparison.Ordinal));
                Assert.DoesNotContain(errors, line => line.Contains("bounded state: withdrawing", StringComparison.Ordinal));
            }

            Assert.All(children, child => Assert.False(IsRunning(child), $"process {child}, started by the bench, still runs"));
        }
        finally
        {
            if (!bench.HasExited)
            {
                bench.Kill(entireProcessTree: true);
            }

            foreach (var child in children.Where(IsRunning))
            {
                await SendAsync("KILL", child);
            }
        }
    }

    private static List<int> ChildrenOf(int processId) =>
        [.. Directory.EnumerateDirectories($"/proc/{processId}/task")
            .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(id => int.Parse(id, CultureInfo.InvariantCulture))];

    /// <summary>Whether the process lives (a zombie, exited but not yet reaped, does not count).</summary>
    private static bool IsRunning(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task SendAsync(string signal, int processId)
    {
        using var kill = Process.Start("kill", ["-" + signal, processId.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }
}
