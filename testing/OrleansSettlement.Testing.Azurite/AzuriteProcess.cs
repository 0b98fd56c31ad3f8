using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace OrleansSettlement.Testing.Azurite;

/// <summary>
/// One Azurite process on free loopback ports, in memory or with durable data, stopped by its PID: SIGTERM, then SIGKILL
/// when it has not exited within <see cref="AzuriteOptions.StopTimeout"/> (counted in <see cref="ForcedStops"/>).
/// Azurite 3.37 handles SIGTERM and SIGINT alike: it closes its servers and its databases, and closing a durable database
/// saves it when it has unsaved changes, so a SIGTERM stop keeps every acknowledged write; a SIGKILL loses what changed
/// since its last autosave (every 5 s). A durable Azurite can be restarted on the same ports and data
/// (<see cref="RestartAsync"/>): clients see storage vanish and come back with every row.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account and key (public, documented by Microsoft; not a secret).</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly AzuriteOptions _options;
    private Process? _process;
    private OutputTail? _output;

    private AzuriteProcess(AzuriteOptions options, int[] ports)
    {
        _options = options;
        BlobPort = ports[0];
        QueuePort = ports[1];
        TablePort = ports[2];
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    /// <summary>The running process's id; 0 while stopped.</summary>
    public int ProcessId => _process?.Id ?? 0;

    /// <summary>The folder of the durable data; null when in memory.</summary>
    public string? Location => _options.Location;

    /// <summary>How many stops had to fall back to SIGKILL (a durable Azurite may then have lost its last writes).</summary>
    public int ForcedStops { get; private set; }

    /// <summary>The last lines Azurite printed (for error messages).</summary>
    public string Output => _output?.Text ?? "";

    /// <summary>A connection string to this Azurite's blob, queue and table endpoints.</summary>
    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};"
        + $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};"
        + $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";

    /// <summary>The repository's Azurite in memory on free ports (see <see cref="AzuriteOptions.InMemory"/>).</summary>
    public static Task<AzuriteProcess> StartInMemoryAsync(string repositoryRoot) => StartAsync(AzuriteOptions.InMemory(repositoryRoot));

    /// <summary>Starts Azurite on three free loopback ports and returns once all three accept connections.</summary>
    /// <exception cref="AzuriteStartException">Azurite is not installed, exited, or did not listen in time.</exception>
    public static async Task<AzuriteProcess> StartAsync(AzuriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(options.Executable))
        {
            throw new AzuriteStartException($"Azurite is not installed ({options.Executable} is missing): run `npm ci` in the repository (the ./test script does it).");
        }

        if (options.Location is { } location)
        {
            Directory.CreateDirectory(location);
        }

        var azurite = new AzuriteProcess(options, FreePorts.Take(3));
        await azurite.StartProcessAsync().ConfigureAwait(false);
        return azurite;
    }

    /// <summary>Stops Azurite (SIGTERM, which saves its data), waits <paramref name="downtime"/>, and starts it again on the
    /// same ports and data. Only for a durable Azurite: an in-memory one would come back empty.</summary>
    public async Task RestartAsync(TimeSpan downtime)
    {
        if (_options.Location is null)
        {
            throw new InvalidOperationException("An in-memory Azurite cannot be restarted: it would come back without its data.");
        }

        await StopAsync().ConfigureAwait(false);
        await Task.Delay(downtime).ConfigureAwait(false);
        await StartProcessAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the process by its PID: SIGTERM, then SIGKILL after the stop timeout. Does nothing when stopped.</summary>
    public async Task StopAsync()
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
                Signals.Terminate(process.Id);
                using var timeout = new CancellationTokenSource(_options.StopTimeout);
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

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(_options.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (_options.WorkingDirectory is { } workingDirectory)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in Arguments())
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new AzuriteStartException("Azurite did not start.");
        _output = new OutputTail(process);
        _process = process;
        try
        {
            await WaitUntilListeningAsync(process).ConfigureAwait(false);
        }
        catch
        {
            await StopAsync().ConfigureAwait(false);
            throw;
        }
    }

    private IEnumerable<string> Arguments()
    {
        if (_options.Location is { } location)
        {
            yield return "--location";
            yield return location;
        }
        else
        {
            yield return "--inMemoryPersistence";
        }

        string[] common =
        [
            "--silent", "--skipApiVersionCheck", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", Text(BlobPort),
            "--queueHost", "127.0.0.1", "--queuePort", Text(QueuePort),
            "--tableHost", "127.0.0.1", "--tablePort", Text(TablePort),
        ];
        foreach (var argument in common)
        {
            yield return argument;
        }
    }

    private async Task WaitUntilListeningAsync(Process process)
    {
        var clock = Stopwatch.StartNew();
        foreach (var port in new[] { BlobPort, QueuePort, TablePort })
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new AzuriteStartException($"Azurite exited with code {process.ExitCode} before it listened on port {port}. Its output:\n{Output}");
                }

                if (clock.Elapsed > _options.StartTimeout)
                {
                    throw new AzuriteStartException($"Azurite did not listen on port {port} within {_options.StartTimeout.TotalSeconds} s. Its output:\n{Output}");
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

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
