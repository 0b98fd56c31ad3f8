using System.Diagnostics;

namespace OrleansSettlement.Cli.Service;

/// <summary>
/// A process <c>settle up</c> started: its output goes to a log file, it runs in a session of its own (so a Ctrl-C in
/// the terminal reaches only <c>settle</c>, which then stops the children in order), and it is stopped by its PID.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
    }

    /// <summary>A short name for messages: "azurite", "silo-2", "api".</summary>
    public string Name { get; }

    public string LogPath { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/>, output (stdout and stderr) to <paramref name="logPath"/>.</summary>
    public static ChildProcess Start(
        string name,
        string program,
        IEnumerable<string> arguments,
        string workingDirectory,
        string logPath,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        // setsid: a new session, so the terminal's Ctrl-C does not reach the child directly.
        // sh: redirects the output to the log and execs the program, which keeps the PID that settle holds.
        var start = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=\"$1\"; shift; exec \"$@\" <\"/dev/null\" >\"$log\" 2>&1");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(logPath);
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        try
        {
            var process = Process.Start(start) ?? throw new UpFailedException($"could not start {name}.");
            return new ChildProcess(name, process, logPath);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new UpFailedException($"could not start {name} ({program}): {exception.Message}.");
        }
    }

    /// <summary>SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL. True when it stopped within the grace period.</summary>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return true;
        }

        Signals.Terminate(_process.Id);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            Signals.Kill(_process.Id);
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of the log, for a report.</summary>
    public string Tail(int lines = 20) => LogTail.Read(LogPath, lines);

    public void Dispose() => _process.Dispose();
}

/// <summary>Reads the end of a log file.</summary>
internal static class LogTail
{
    public static string Read(string path, int lines)
    {
        try
        {
            var all = File.ReadAllLines(path);
            return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)).Select(line => "    " + line));
        }
        catch (IOException)
        {
            return "    (the log cannot be read)";
        }
        catch (UnauthorizedAccessException)
        {
            return "    (the log cannot be read)";
        }
    }
}
