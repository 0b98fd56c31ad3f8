using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace OrleansSettlement.Cli.Service;

/// <summary>
/// Starts Azurite, the silos and the API in that order, waits until the API is ready, then waits for Ctrl-C (or a
/// child's death) and stops what it started, by PID, in the reverse order.
/// </summary>
internal static class UpRunner
{
    private static readonly TimeSpan AzuriteStartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan ApiStopGrace = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan SiloStopGrace = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AzuriteStopGrace = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(UpSettings settings, CancellationToken ct)
    {
        // A closed terminal (SIGHUP) stops the children in order too, instead of leaving them running.
        using var hangup = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var hangupRegistration = OperatingSystem.IsWindows()
            ? null
            : PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                hangup.Cancel();
            });

        var stack = new RunningStack();
        Layout? layout = null;
        try
        {
            settings.Validate();
            layout = new Layout(Repository.FindRoot());
            await StartAsync(settings, layout, stack, hangup.Token).ConfigureAwait(false);
            await WatchAsync(stack, layout, hangup.Token).ConfigureAwait(false);

            Console.WriteLine();
            Console.WriteLine("Stopping...");
            await stack.StopAsync().ConfigureAwait(false);
            layout.ForgetProcesses();
            Console.WriteLine("Stopped.");
            return 0;
        }
        catch (OperationCanceledException) when (hangup.IsCancellationRequested)
        {
            Console.WriteLine();
            Console.WriteLine("Interrupted: stopping what was started...");
            await stack.StopAsync().ConfigureAwait(false);
            layout?.ForgetProcesses();
            Console.WriteLine("Stopped.");
            return 0;
        }
        catch (UpFailedException failure)
        {
            await Console.Error.WriteLineAsync("settle up: " + failure.Message).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(failure.Details))
            {
                await Console.Error.WriteLineAsync(failure.Details).ConfigureAwait(false);
            }

            if (stack.Count > 0)
            {
                await Console.Error.WriteLineAsync("Stopping the rest...").ConfigureAwait(false);
                await stack.StopAsync().ConfigureAwait(false);
                layout?.ForgetProcesses();
            }

            return 1;
        }
#pragma warning disable CA1031 // The last resort: a bug is still reported in words, never as a stack trace.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"settle up: internal error ({exception.GetType().Name}): {exception.Message}").ConfigureAwait(false);
            await stack.StopAsync().ConfigureAwait(false);
            layout?.ForgetProcesses();
            return 1;
        }
    }

    private static async Task StartAsync(UpSettings settings, Layout layout, RunningStack stack, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await layout.StopLeftoversAsync().ConfigureAwait(false);
        layout.Prepare(settings.Reset);
        CheckPortsFree(settings);
        await InstallAzuriteIfMissingAsync(layout, ct).ConfigureAwait(false);

        Console.WriteLine($"Starting Azurite on 127.0.0.1 ports {settings.BlobPort}/{settings.QueuePort}/{settings.TablePort} (data in {layout.Relative(layout.AzuriteData)})...");
        var azurite = ChildProcess.Start(
            "azurite",
            layout.AzuriteExecutable,
            [
                "--location", layout.AzuriteData,
                "--silent", "--skipApiVersionCheck", "--disableTelemetry",
                "--blobHost", "127.0.0.1", "--blobPort", Text(settings.BlobPort),
                "--queueHost", "127.0.0.1", "--queuePort", Text(settings.QueuePort),
                "--tableHost", "127.0.0.1", "--tablePort", Text(settings.TablePort),
            ],
            layout.Root,
            layout.Log("azurite"));
        stack.Add(azurite, AzuriteStopGrace, StopOrder.Storage);
        layout.RememberProcesses(stack);

        // Build while Azurite starts.
        Console.WriteLine("Building the silo and the API (Release)...");
        await BuildAsync(layout, ct).ConfigureAwait(false);
        await WaitForAzuriteAsync(settings, azurite, ct).ConfigureAwait(false);

        var connectionString = LocalStorage.ConnectionString(settings);
        var common = new Dictionary<string, string>
        {
            ["ConnectionStrings__Storage"] = connectionString,
            ["Orleans__ClusterId"] = settings.ClusterId,
            ["DOTNET_NOLOGO"] = "1",
        };

        // The API knows the admin only by the SHA-256 of the token kept in .settle/admin.token (made on the first start).
        var adminToken = AdminToken.LoadOrCreate(layout.AdminTokenFile, out var created);
        Console.WriteLine(created
            ? $"Made an admin token: {layout.Relative(layout.AdminTokenFile)} (mode 0600, kept for later starts)."
            : $"Admin token: {layout.Relative(layout.AdminTokenFile)}.");
        var apiEnvironment = new Dictionary<string, string>(common) { ["Api__AdminTokenSha256"] = adminToken.Sha256 };

        Console.WriteLine(settings.Silos == 1 ? "Starting 1 silo..." : $"Starting {settings.Silos} silos...");
        for (var silo = 1; silo <= settings.Silos; silo++)
        {
            var environment = new Dictionary<string, string>(common)
            {
                ["Orleans__SiloPort"] = Text(settings.SiloPortOf(silo)),
                ["Orleans__GatewayPort"] = Text(settings.GatewayPortOf(silo)),
            };
            var child = ChildProcess.Start($"silo-{silo}", layout.Dotnet, [layout.SiloDll], layout.Root, layout.Log($"silo-{silo}"), environment);
            stack.Add(child, SiloStopGrace, StopOrder.Silo);
        }

        layout.RememberProcesses(stack);

        Console.WriteLine($"Starting the API on {settings.ApiBaseAddress.ToString().TrimEnd('/')}...");
        var api = ChildProcess.Start("api", layout.Dotnet, [layout.ApiDll, "--urls", settings.ApiBaseAddress.ToString().TrimEnd('/')], layout.Root, layout.Log("api"), apiEnvironment);
        stack.Add(api, ApiStopGrace, StopOrder.Api);
        layout.RememberProcesses(stack);

        Console.WriteLine(settings.Silos == 1
            ? "Waiting until /health/ready answers 200..."
            : $"Waiting until /health/ready answers 200 with {settings.Silos} active silos...");
        await WaitForReadyAsync(settings, stack, ct).ConfigureAwait(false);

        var service = new RunningService(layout.Root, settings.ApiBaseAddress, connectionString, settings.Silos, adminToken.Token);
        foreach (var step in ReadySteps.All)
        {
            Console.WriteLine($"  {step.Description}...");
            await step.RunAsync(service, ct).ConfigureAwait(false);
        }

        PrintSummary(settings, layout, clock.Elapsed);
    }

    /// <summary>
    /// Waits until Ctrl-C (returns) or a child dies. A silo that dies while others still run is reported and the cluster
    /// keeps serving: Orleans declares it dead once its membership probes fail and activates its grains on the other silos
    /// (the point of several silos). Azurite, the API or the last silo dying ends <c>up</c> (exit 1).
    /// </summary>
    internal static async Task WatchAsync(RunningStack stack, Layout layout, CancellationToken ct)
    {
        while (await stack.WaitForFirstExitAsync(ct).ConfigureAwait(false) is { } died)
        {
            if (!stack.IsSilo(died) || stack.CountOf(StopOrder.Silo) <= 1)
            {
                throw Died(died);
            }

            stack.Remove(died);
            layout.RememberProcesses(stack);
            var left = stack.CountOf(StopOrder.Silo);
            var tail = died.Tail(5);
            await Console.Error.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"settle up: {died.Name} (PID {died.ProcessId}) exited with code {died.ExitCode}{SignalOf(died.ExitCode)} at {DateTime.Now:HH:mm:ss}. "
                + $"The cluster keeps serving with {left} silo{(left == 1 ? "" : "s")}: Orleans moves its grains to them once its membership probes declare it dead "
                + $"(about 10-15 s). It is not restarted; end of {layout.Relative(died.LogPath)}:")).ConfigureAwait(false);
            await Console.Error.WriteLineAsync(tail).ConfigureAwait(false);
            died.Dispose();
        }
    }

    /// <summary>" (killed by SIGKILL)" for exit code 137, as shells report a signal; "" otherwise.</summary>
    private static string SignalOf(int exitCode) => exitCode switch
    {
        137 => " (killed by SIGKILL)",
        143 => " (stopped by SIGTERM)",
        134 => " (aborted, SIGABRT)",
        139 => " (crashed, SIGSEGV)",
        > 128 and < 160 => string.Create(CultureInfo.InvariantCulture, $" (killed by signal {exitCode - 128})"),
        _ => "",
    };

    private static void CheckPortsFree(UpSettings settings)
    {
        foreach (var (port, use, option) in settings.Ports())
        {
            if (!Ports.IsFree(port))
            {
                throw new UpFailedException(
                    $"port {port} ({use}) is in use: stop what uses it (another `settle up`?) or choose another port with {option}.");
            }
        }
    }

    private static async Task InstallAzuriteIfMissingAsync(Layout layout, CancellationToken ct)
    {
        if (File.Exists(layout.AzuriteExecutable))
        {
            return;
        }

        Console.WriteLine("Installing Azurite (npm ci)...");
        var log = layout.Log("npm");
        var exitCode = await RunToLogAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], layout.Root, log, ct).ConfigureAwait(false);
        if (exitCode != 0 || !File.Exists(layout.AzuriteExecutable))
        {
            throw new UpFailedException(
                $"`npm ci` failed (exit code {exitCode}); Node.js and npm are needed. End of {layout.Relative(log)}:",
                LogTail.Read(log, 15));
        }
    }

    private static async Task BuildAsync(Layout layout, CancellationToken ct)
    {
        var log = layout.Log("build");
        File.WriteAllText(log, string.Empty);
        foreach (var project in new[] { layout.SiloProject, layout.ApiProject })
        {
            var exitCode = await RunToLogAsync(
                layout.Dotnet,
                ["build", project, "-c", "Release", "-nologo", "-v", "q", "-clp:NoSummary"],
                layout.Root,
                log,
                ct,
                append: true).ConfigureAwait(false);
            if (exitCode != 0)
            {
                var errors = File.ReadLines(log)
                    .Where(line => line.Contains(": error ", StringComparison.Ordinal))
                    .Distinct()
                    .Take(15)
                    .Select(line => "    " + line.Trim());
                throw new UpFailedException(
                    $"the build of {layout.Relative(project)} failed (full log: {layout.Relative(log)}):",
                    string.Join(Environment.NewLine, errors));
            }
        }
    }

    private static async Task WaitForAzuriteAsync(UpSettings settings, ChildProcess azurite, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        foreach (var port in new[] { settings.BlobPort, settings.QueuePort, settings.TablePort })
        {
            while (!await Ports.AcceptsAsync(port, ct).ConfigureAwait(false))
            {
                if (azurite.HasExited)
                {
                    throw Died(azurite);
                }

                if (deadline.Elapsed > AzuriteStartTimeout)
                {
                    throw new UpFailedException(
                        $"Azurite did not listen on port {port} within {AzuriteStartTimeout.TotalSeconds} s. End of its log:",
                        azurite.Tail());
                }

                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }

    private static async Task WaitForReadyAsync(UpSettings settings, RunningStack stack, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = settings.ApiBaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer";
        while (deadline.Elapsed < ReadyTimeout)
        {
            var died = stack.FirstExited();
            if (died is not null)
            {
                throw Died(died);
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative), ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                var activeSilos = ActiveSilos(body);
                if (response.IsSuccessStatusCode && activeSilos >= settings.Silos)
                {
                    return;
                }

                last = response.IsSuccessStatusCode
                    ? $"ready with {activeSilos} of {settings.Silos} silos active"
                    : $"{(int)response.StatusCode}: {body}";
            }
            catch (HttpRequestException exception)
            {
                last = exception.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                last = "the request timed out";
            }

            await Task.Delay(500, ct).ConfigureAwait(false);
        }

        throw new UpFailedException($"the API was not ready within {ReadyTimeout.TotalSeconds} s; its last answer was {last}. See .settle/logs/.");
    }

    /// <summary>The cluster check's <c>activeSilos</c> figure in a /health/ready answer, or 0.</summary>
    private static int ActiveSilos(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            foreach (var check in json.RootElement.GetProperty("checks").EnumerateArray())
            {
                if (check.GetProperty("name").GetString() == "cluster"
                    && check.TryGetProperty("data", out var data)
                    && data.ValueKind == JsonValueKind.Object
                    && data.TryGetProperty("activeSilos", out var count)
                    && count.TryGetInt32(out var silos))
                {
                    return silos;
                }
            }
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Not the expected shape (yet): treat as no silo.
        }

        return 0;
    }

    private static void PrintSummary(UpSettings settings, Layout layout, TimeSpan elapsed)
    {
        var api = settings.ApiBaseAddress.ToString().TrimEnd('/');
        var silos = settings.Silos == 1
            ? $"1 (silo port {settings.SiloPortOf(1)}, gateway port {settings.GatewayPortOf(1)})"
            : $"{settings.Silos} (silo ports {settings.SiloPortOf(1)}-{settings.SiloPortOf(settings.Silos)}, gateway ports {settings.GatewayPortOf(1)}-{settings.GatewayPortOf(settings.Silos)})";
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"OrleansSettlement is up (ready in {elapsed.TotalSeconds:0.0} s):"));
        Console.WriteLine($"  API       {api}");
        Console.WriteLine($"  OpenAPI   {api}/openapi/v1.json");
        Console.WriteLine($"  Health    {api}/health/ready  (liveness: {api}/health/live)");
        Console.WriteLine($"  Silos     {silos}, cluster '{settings.ClusterId}'");
        Console.WriteLine($"  Azurite   blob {LocalStorage.Endpoint(settings.BlobPort)}");
        Console.WriteLine($"            queue {LocalStorage.Endpoint(settings.QueuePort)}");
        Console.WriteLine($"            table {LocalStorage.Endpoint(settings.TablePort)}");
        Console.WriteLine($"            account {LocalStorage.AccountName} (Azurite's well-known development key)");
        Console.WriteLine($"  Data      {layout.Relative(layout.AzuriteData)}  (delete it, or use --reset, to start empty)");
        Console.WriteLine($"  Logs      {layout.Relative(layout.Logs)}/  (azurite.log, silo-N.log, api.log, build.log)");
        Console.WriteLine("Press Ctrl-C to stop.");
    }

    private static UpFailedException Died(ChildProcess child) =>
        new(
            $"{child.Name} (PID {child.ProcessId}) exited with code {child.ExitCode}. End of {child.LogPath}:",
            child.Tail());

    private static async Task<int> RunToLogAsync(string program, IEnumerable<string> arguments, string workingDirectory, string logPath, CancellationToken ct, bool append = false)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new UpFailedException($"could not run {program}.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new UpFailedException($"could not run {program}: {exception.Message}.");
        }

        using (process)
        {
            await using var log = new StreamWriter(logPath, append);
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = process.StandardError.ReadToEndAsync(ct);
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            await log.WriteAsync(await output.ConfigureAwait(false)).ConfigureAwait(false);
            await log.WriteAsync(await error.ConfigureAwait(false)).ConfigureAwait(false);
            return process.ExitCode;
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
