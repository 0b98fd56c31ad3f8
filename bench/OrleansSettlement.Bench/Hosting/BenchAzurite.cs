using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>
/// An Azurite started for one bench run from the repository's pinned copy (<c>node_modules/.bin/azurite</c>), in memory,
/// on free loopback ports, and stopped by its PID (SIGTERM, then SIGKILL: Azurite can ignore SIGTERM for seconds).
/// </summary>
internal sealed class BenchAzurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account and key (public, documented by Microsoft; not a secret).</summary>
    private const string AccountName = "devstoreaccount1";

    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly int[] _ports;

    private BenchAzurite(Process process, int[] ports)
    {
        _process = process;
        _ports = ports;
    }

    public int ProcessId => _process.Id;

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{_ports[0]}/{AccountName};"
        + $"QueueEndpoint=http://127.0.0.1:{_ports[1]}/{AccountName};"
        + $"TableEndpoint=http://127.0.0.1:{_ports[2]}/{AccountName};";

    public static async Task<BenchAzurite> StartAsync(string repositoryRoot)
    {
        var executable = Path.Combine(repositoryRoot, "node_modules", ".bin", "azurite");
        if (!File.Exists(executable))
        {
            throw new BenchSetupException($"Azurite is not installed ({executable} is missing): run `npm ci` in {repositoryRoot}.");
        }

        var ports = FreePorts(3);
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--inMemoryPersistence", "--silent", "--skipApiVersionCheck", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", Text(ports[0]),
            "--queueHost", "127.0.0.1", "--queuePort", Text(ports[1]),
            "--tableHost", "127.0.0.1", "--tablePort", Text(ports[2]),
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new BenchSetupException("Azurite did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new BenchAzurite(process, ports);
        try
        {
            await azurite.WaitUntilListeningAsync().ConfigureAwait(false);
        }
        catch
        {
            await azurite.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return azurite;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            if (!OperatingSystem.IsWindows())
            {
                _ = NativeMethods.Kill(_process.Id, 15);
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        _process.Dispose();
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = Stopwatch.StartNew();
        foreach (var port in _ports)
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new BenchSetupException($"Azurite exited with code {_process.ExitCode} before it listened.");
                }

                if (deadline.Elapsed > StartTimeout)
                {
                    throw new BenchSetupException($"Azurite did not listen on port {port} within {StartTimeout.TotalSeconds} s.");
                }

                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
                    break;
                }
                catch (SocketException)
                {
                    await Task.Delay(100).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Free loopback ports (bound to port 0 and released; the usual small race is accepted).</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int processId, int signal);
    }
}
