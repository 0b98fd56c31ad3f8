using System.Diagnostics;
using System.Text;

namespace OrleansSettlement.Cli.Tests;

/// <summary>What one run of the CLI produced.</summary>
internal sealed record SettleResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the built <c>settle</c> CLI as a real process: <c>dotnet settle.dll ARGS</c>.</summary>
internal static class Settle
{
    /// <summary>The marker of a .NET stack trace frame; no output of the CLI may contain it.</summary>
    public const string StackTraceMarker = "   at ";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string DllPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "settle.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("settle.dll is not beside the test assembly", path);
        }
    }

    /// <summary>Runs the CLI in <paramref name="workingDirectory"/> and checks that no output holds a stack trace.</summary>
    public static async Task<SettleResult> RunAsync(string workingDirectory, byte[]? stdin, params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        using var timeout = new CancellationTokenSource(Timeout);
        var stdout = new MemoryStream();
        var readStdout = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        var readStderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            await readStdout;
            var result = new SettleResult(process.ExitCode, stdout.ToArray(), await readStderr);
            Assert.False(
                result.Stdout.Contains(StackTraceMarker, StringComparison.Ordinal) || result.Stderr.Contains(StackTraceMarker, StringComparison.Ordinal),
                $"settle {string.Join(' ', args)} printed a stack trace:\n{result}");
            return result;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"settle {string.Join(' ', args)} did not finish within {Timeout}");
        }
    }

    public static Task<SettleResult> RunAsync(string workingDirectory, params string[] args) => RunAsync(workingDirectory, null, args);

    /// <summary>The dotnet host running the tests (the SDK sets DOTNET_HOST_PATH), else dotnet from PATH.</summary>
    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        return "dotnet";
    }
}
