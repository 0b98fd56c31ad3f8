using OrleansSettlement.Cli.Service;

namespace OrleansSettlement.Service.Tests.Demo;

/// <summary>
/// How <c>settle up</c> watches its processes (<see cref="UpRunner.WatchAsync"/>), with stand-in processes (<c>sleep</c>):
/// with several silos, one that dies is reported and forgotten while the rest keep running; the last silo dying, or the
/// API, ends <c>up</c>. (A real silo killed under a running demo is in the README's hand check.)
/// </summary>
public sealed class UpSiloDeathTests : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);
    private readonly string _root = Directory.CreateTempSubdirectory("settle-up-watch-").FullName;

    public UpSiloDeathTests() => Directory.CreateDirectory(Path.Combine(_root, ".settle", "logs"));

    [Fact]
    public async Task Watch_OneOfTwoSilosDies_KeepsServingThenTheLastSiloEndsUp()
    {
        var layout = new Layout(_root);
        var stack = new RunningStack();
        var silo1 = Start("silo-1", StopOrder.Silo, stack);
        var silo2 = Start("silo-2", StopOrder.Silo, stack);
        Start("api", StopOrder.Api, stack);
        layout.RememberProcesses(stack);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var watch = UpRunner.WatchAsync(stack, layout, stop.Token);

            Assert.True(Signals.Kill(silo2.ProcessId));
            await WaitUntilAsync(() => stack.CountOf(StopOrder.Silo) == 1);
            await Task.Delay(300);

            Assert.False(watch.IsCompleted, "up stopped although a silo was left");
            var listed = await File.ReadAllTextAsync(layout.ProcessFile);
            Assert.Contains("silo-1", listed, StringComparison.Ordinal);
            Assert.DoesNotContain("silo-2", listed, StringComparison.Ordinal);

            Assert.True(Signals.Kill(silo1.ProcessId));
            var failure = await Assert.ThrowsAsync<UpFailedException>(() => watch);
            Assert.Contains("silo-1", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            await stack.StopAsync();
        }
    }

    [Fact]
    public async Task Watch_ApiDies_EndsUpEvenWithSilosLeft()
    {
        var layout = new Layout(_root);
        var stack = new RunningStack();
        Start("silo-1", StopOrder.Silo, stack);
        Start("silo-2", StopOrder.Silo, stack);
        var api = Start("api", StopOrder.Api, stack);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var watch = UpRunner.WatchAsync(stack, layout, stop.Token);

            Assert.True(Signals.Kill(api.ProcessId));

            var failure = await Assert.ThrowsAsync<UpFailedException>(() => watch);
            Assert.Contains("api", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            await stack.StopAsync();
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

    private ChildProcess Start(string name, StopOrder order, RunningStack stack)
    {
        var child = ChildProcess.Start(name, "sleep", ["60"], _root, Path.Combine(_root, ".settle", "logs", name + ".log"));
        stack.Add(child, Grace, order);
        return child;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "the condition did not hold within 10 s");
    }
}
