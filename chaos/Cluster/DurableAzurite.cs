using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace OrleansSettlement.Chaos.Cluster;

/// <summary>
/// Azurite with durable data (<c>--location</c>, a folder of the run's own) on fixed loopback ports, so that it can be
/// stopped and started again under running silos: the silos see storage vanish for a few seconds and come back with
/// every row it held. Stopped by its PID: SIGTERM (Azurite saves its database on the way out), SIGKILL only after a
/// timeout.
/// </summary>
public sealed class DurableAzurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account and key (public, documented by Microsoft; not a secret).</summary>
    public const string AccountName = "devstoreaccount1";

    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const int SigTerm = 15;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly string _executable;
    private readonly int[] _ports;
    private Process? _process;

    private DurableAzurite(string executable, string location, int[] ports)
    {
        _executable = executable;
        Location = location;
        _ports = ports;
    }

    /// <summary>The folder that holds Azurite's data.</summary>
    public string Location { get; }

    public int ProcessId => _process?.Id ?? 0;

    /// <summary>How many times a stop had to fall back to SIGKILL (its last writes may then be lost: reported).</summary>
    public int ForcedStops { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{_ports[0]}/{AccountName};"
        + $"QueueEndpoint=http://127.0.0.1:{_ports[1]}/{AccountName};"
        + $"TableEndpoint=http://127.0.0.1:{_ports[2]}/{AccountName};";

    /// <summary>Starts Azurite from <paramref name="executable"/> with its data in <paramref name="location"/>.</summary>
    public static async Task<DurableAzurite> StartAsync(string executable, string location)
    {
        if (!File.Exists(executable))
        {
            throw new ChaosSetupException($"Azurite is not installed ({executable} is missing): run `npm ci` in the repository.");
        }

        Directory.CreateDirectory(location);
        var azurite = new DurableAzurite(executable, location, FreePorts.Take(3));
        await azurite.StartProcessAsync().ConfigureAwait(false);
        return azurite;
    }

    /// <summary>Stops Azurite and starts it again on the same ports and data.</summary>
    public async Task RestartAsync(TimeSpan downtime)
    {
        await StopProcessAsync().ConfigureAwait(false);
        await Task.Delay(downtime).ConfigureAwait(false);
        await StartProcessAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopProcessAsync().ConfigureAwait(false);

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            "--location", Location, "--silent", "--skipApiVersionCheck", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", Port(0),
            "--queueHost", "127.0.0.1", "--queuePort", Port(1),
            "--tableHost", "127.0.0.1", "--tablePort", Port(2),
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new ChaosSetupException("Azurite did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var clock = Stopwatch.StartNew();
        foreach (var port in _ports)
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new ChaosSetupException($"Azurite exited with code {process.ExitCode} before it listened on port {port}.");
                }

                if (clock.Elapsed > StartTimeout)
                {
                    throw new ChaosSetupException($"Azurite did not listen on port {port} within {StartTimeout.TotalSeconds} s.");
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

        string Port(int index) => _ports[index].ToString(CultureInfo.InvariantCulture);
    }

    private async Task StopProcessAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                if (!OperatingSystem.IsWindows())
                {
                    _ = NativeMethods.Kill(process.Id, SigTerm);
                }

                using var timeout = new CancellationTokenSource(StopTimeout);
                try
                {
                    await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    ForcedStops++;
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int processId, int signal);
    }
}

/// <summary>Free loopback ports, each taken from the operating system and released at once.</summary>
internal static class FreePorts
{
    public static int[] Take(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var index = 0; index < count; index++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}

/// <summary>The run could not set up its cluster (Azurite missing, a silo that did not start): not a finding.</summary>
public sealed class ChaosSetupException : Exception
{
    public ChaosSetupException()
    {
    }

    public ChaosSetupException(string message)
        : base(message)
    {
    }

    public ChaosSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
