using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using OrleansSettlement.Bench;
using OrleansSettlement.Cli.Service;

namespace OrleansSettlement.Cli.Bench;

/// <summary>
/// <c>settle bench</c>: parses the bench's options here (so help and option errors need nothing built), then builds the
/// bench host (bench/OrleansSettlement.Bench, Release) when its sources changed and runs it as a child process with the
/// same options, its output passed through and its exit code returned. The bench runs in a process of its own because it
/// hosts a silo, which wants server GC and the silo's dependencies, neither of which this CLI carries.
/// </summary>
internal static class BenchLauncher
{
    private const int CannotRun = 2;

    /// <summary>How long an interrupted bench host is given to stop what it started before it is killed.</summary>
    private static readonly TimeSpan ChildGrace = BenchOptions.StopBudget;

    public static Command Create()
    {
        var command = new BenchOptions().AddTo(new Command("bench", BenchOptions.Description));
        command.SetAction((parse, ct) =>
        {
            // System.CommandLine abandons an action 2 s after Ctrl-C and exits, which left the bench host (and its silo and
            // Azurite) running without its parent. Set before the first await, as `settle up` does: the pipeline reads it
            // after the action has started. The budget covers the child's own stop plus the kill below.
            parse.InvocationConfiguration.ProcessTerminationTimeout = BenchOptions.StopBudget + ChildGrace + TimeSpan.FromSeconds(10);
            return RunAsync(ForwardedArguments(parse), ct);
        });
        return command;
    }

    /// <summary>The tokens after <c>bench</c>, exactly as given (they parsed here, so they parse the same in the bench host).</summary>
    internal static List<string> ForwardedArguments(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var tokens = parse.Tokens.ToList();
        var at = tokens.FindIndex(t => t.Type == TokenType.Command && t.Value == "bench");
        return [.. tokens.Skip(at + 1).Select(t => t.Value)];
    }

    private static async Task<int> RunAsync(List<string> arguments, CancellationToken ct)
    {
        string root;
        try
        {
            root = Repository.FindRoot();
        }
        catch (UpFailedException failure)
        {
            await Console.Error.WriteLineAsync("settle bench: " + failure.Message).ConfigureAwait(false);
            return CannotRun;
        }

        var layout = new Layout(root);
        var project = Path.Combine(root, "bench", "OrleansSettlement.Bench", "OrleansSettlement.Bench.csproj");
        var output = Path.Combine(root, "bench", "OrleansSettlement.Bench", "bin", "Release", "net10.0");
        var dll = Path.Combine(output, "OrleansSettlement.Bench.dll");
        var stamp = Path.Combine(output, ".bench-built");
        if (NeedsBuild(root, dll, stamp))
        {
            await Console.Error.WriteLineAsync("settle bench: building the bench host (Release)...").ConfigureAwait(false);
            var built = await RunChildAsync(layout.Dotnet, ["build", project, "-c", "Release", "-nologo", "-v", "q", "-clp:NoSummary"], root, quiet: true, ct).ConfigureAwait(false);
            if (built != 0)
            {
                await Console.Error.WriteLineAsync($"settle bench: the bench host does not build: run `dotnet build {Path.GetRelativePath(root, project)} -c Release` to see why.").ConfigureAwait(false);
                return CannotRun;
            }

            await File.WriteAllTextAsync(stamp, DateTime.UtcNow.ToString("O"), ct).ConfigureAwait(false);
        }

        return await RunChildAsync(layout.Dotnet, [dll, .. arguments], root, quiet: false, ct).ConfigureAwait(false);
    }

    /// <summary>True when the bench host is missing or a C# source, project or props file outside tests, build output and
    /// packages is newer than its last build.</summary>
    private static bool NeedsBuild(string root, string dll, string stamp)
    {
        if (!File.Exists(dll) || !File.Exists(stamp))
        {
            return true;
        }

        var built = File.GetLastWriteTimeUtc(stamp);
        var skipped = new HashSet<string>(StringComparer.Ordinal) { "bin", "obj", "node_modules", "tests", ".git", ".settle" };
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(directory))
            {
                if (Path.GetExtension(file) is ".cs" or ".csproj" or ".props" && File.GetLastWriteTimeUtc(file) > built)
                {
                    return true;
                }
            }

            foreach (var child in Directory.EnumerateDirectories(directory))
            {
                if (!skipped.Contains(Path.GetFileName(child)))
                {
                    pending.Push(child);
                }
            }
        }

        return false;
    }

    /// <summary>Runs a child with this process's standard streams (or its output discarded when <paramref name="quiet"/>);
    /// on cancellation (Ctrl-C) the child, which got the same signal from the terminal, is given time to stop what it started.</summary>
    private static async Task<int> RunChildAsync(string program, IReadOnlyList<string> arguments, string directory, bool quiet, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardOutput = quiet, RedirectStandardError = quiet };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment[Repository.RootVariable] = directory;
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not run {program}.");
        if (quiet)
        {
            child.OutputDataReceived += (_, _) => { };
            child.ErrorDataReceived += (_, _) => { };
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
        }

        try
        {
            await child.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A terminal's Ctrl-C reached the child too; a signal sent to this process alone did not: pass it on.
            await InterruptAsync(child).ConfigureAwait(false);
            using var grace = new CancellationTokenSource(ChildGrace);
            try
            {
                await child.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        return child.ExitCode;
    }

    /// <summary>Sends SIGINT to <paramref name="child"/> (a second one does no harm: the bench host only cancels again).</summary>
    private static async Task InterruptAsync(Process child)
    {
        if (child.HasExited)
        {
            return;
        }

        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            if (kill is not null)
            {
                await kill.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No kill(1) here: the grace below still ends with a kill of the whole tree.
        }
    }
}
