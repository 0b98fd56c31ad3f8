using System.Globalization;

namespace OrleansSettlement.Cli.Service;

/// <summary>
/// Where <c>settle up</c> finds and keeps things: the projects it builds, Azurite in node_modules, and under
/// <c>.settle/</c> (git-ignored) the storage data, the logs and the list of processes it started.
/// </summary>
internal sealed class Layout(string root)
{
    /// <summary>The name under which <see cref="ProcessFile"/> lists the <c>settle up</c> process itself.</summary>
    private const string OwnerName = "settle-up";

    private bool _remembered;

    public string Root { get; } = root;

    public string SettleDirectory => Path.Combine(Root, ".settle");

    public string Logs => Path.Combine(SettleDirectory, "logs");

    public string AzuriteData => Path.Combine(SettleDirectory, "azurite");

    /// <summary>The local admin token (mode 0600), made on the first start and reused.</summary>
    public string AdminTokenFile => Path.Combine(SettleDirectory, "admin.token");

    /// <summary>The demo's operator and store tokens (mode 0600), written by the seeding ready step.</summary>
    public string DemoTokensFile => Path.Combine(SettleDirectory, "demo.json");

    /// <summary>The processes of the current run, so that a later run can stop any left behind (e.g. after a kill -9).</summary>
    public string ProcessFile => Path.Combine(SettleDirectory, "up.pids");

    public string AzuriteExecutable => Path.Combine(Root, "node_modules", ".bin", "azurite");

    public string SiloProject => Path.Combine(Root, "silo", "OrleansSettlement.Silo.csproj");

    public string ApiProject => Path.Combine(Root, "api", "OrleansSettlement.Api.csproj");

    public string SiloDll => Path.Combine(Root, "silo", "bin", "Release", "net10.0", "OrleansSettlement.Silo.dll");

    public string ApiDll => Path.Combine(Root, "api", "bin", "Release", "net10.0", "OrleansSettlement.Api.dll");

    /// <summary>The dotnet host running this CLI, else <c>dotnet</c> from PATH.</summary>
    public string Dotnet
    {
        get
        {
            var current = Environment.ProcessPath;
            return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        }
    }

    public string Log(string name) => Path.Combine(Logs, name + ".log");

    public string Relative(string path) => Path.GetRelativePath(Root, path);

    public void Prepare(bool resetData)
    {
        Directory.CreateDirectory(Logs);
        if (resetData && Directory.Exists(AzuriteData))
        {
            Directory.Delete(AzuriteData, recursive: true);
            Console.WriteLine($"Deleted the local storage data ({Relative(AzuriteData)}).");
        }

        Directory.CreateDirectory(AzuriteData);
    }

    /// <summary>Writes <see cref="ProcessFile"/>: this <c>settle up</c>'s own PID, then each child's PID and name.</summary>
    public void RememberProcesses(RunningStack stack)
    {
        var lines = stack.Children.Select(child => string.Create(CultureInfo.InvariantCulture, $"{child.ProcessId} {child.Name}"))
            .Prepend(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {OwnerName}"));
        File.WriteAllLines(ProcessFile, lines);
        _remembered = true;
    }

    /// <summary>Deletes <see cref="ProcessFile"/> if this run wrote it (never another running `settle up`'s).</summary>
    public void ForgetProcesses()
    {
        if (_remembered)
        {
            File.Delete(ProcessFile);
            _remembered = false;
        }
    }

    /// <summary>
    /// Stops processes an earlier run left behind (listed in <see cref="ProcessFile"/>), checking each PID's command
    /// line first so that a reused PID is never touched.
    /// </summary>
    public async Task StopLeftoversAsync()
    {
        if (!File.Exists(ProcessFile))
        {
            return;
        }

        var entries = new List<(int Pid, string Name)>();
        foreach (var line in File.ReadAllLines(ProcessFile))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                if (parts[1] == OwnerName)
                {
                    if (pid != Environment.ProcessId && CommandLineOf(pid).Contains("settle.dll up", StringComparison.Ordinal))
                    {
                        throw new UpFailedException(
                            $"another `settle up` (PID {pid}) is running in this repository: stop it first (Ctrl-C in its terminal, or kill {pid}).");
                    }

                    continue;
                }

                entries.Add((pid, parts[1]));
            }
        }

        // Reverse start order: the API, then the silos, then Azurite.
        entries.Reverse();
        foreach (var (pid, name) in entries)
        {
            if (!IsOurs(pid))
            {
                continue;
            }

            Console.WriteLine($"Stopping {name} (PID {pid}), left running by an earlier `settle up`...");
            Signals.Terminate(pid);
            for (var waited = 0; waited < 150 && Signals.Exists(pid) && IsOurs(pid); waited++)
            {
                await Task.Delay(200).ConfigureAwait(false);
            }

            if (Signals.Exists(pid) && IsOurs(pid))
            {
                Signals.Kill(pid);
            }
        }

        File.Delete(ProcessFile);
    }

    private bool IsOurs(int pid)
    {
        var commandLine = CommandLineOf(pid);
        return commandLine.Contains(SiloDll, StringComparison.Ordinal)
            || commandLine.Contains(ApiDll, StringComparison.Ordinal)
            || commandLine.Contains(AzuriteData, StringComparison.Ordinal);
    }

    /// <summary>The process's command line (arguments separated by spaces), or "" when it does not exist.</summary>
    private static string CommandLineOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
