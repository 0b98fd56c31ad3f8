using System.CommandLine;

namespace OrleansSettlement.Cli.Service;

/// <summary><c>settle up</c>: runs the whole service locally (Azurite, N silos, the API) until Ctrl-C.</summary>
internal static class UpCommand
{
    /// <summary>How long a Ctrl-C may take to stop everything before the process gives up waiting.</summary>
    private static readonly TimeSpan StopBudget = TimeSpan.FromMinutes(2);

    public static Command Create()
    {
        var silos = new Option<int>("--silos")
        {
            Description = "How many silo processes to start (1 to 9).",
            DefaultValueFactory = _ => 1,
        };
        var port = new Option<int>("--port")
        {
            Description = "The API's port on 127.0.0.1.",
            DefaultValueFactory = _ => UpSettings.DefaultApiPort,
        };
        var blobPort = new Option<int>("--blob-port")
        {
            Description = "Azurite's blob port.",
            DefaultValueFactory = _ => UpSettings.DefaultBlobPort,
        };
        var queuePort = new Option<int>("--queue-port")
        {
            Description = "Azurite's queue port.",
            DefaultValueFactory = _ => UpSettings.DefaultQueuePort,
        };
        var tablePort = new Option<int>("--table-port")
        {
            Description = "Azurite's table port.",
            DefaultValueFactory = _ => UpSettings.DefaultTablePort,
        };
        var siloPort = new Option<int>("--silo-port")
        {
            Description = "The first silo's silo-to-silo port; silo N uses this + N - 1.",
            DefaultValueFactory = _ => UpSettings.DefaultSiloPort,
        };
        var gatewayPort = new Option<int>("--gateway-port")
        {
            Description = "The first silo's client gateway port; silo N uses this + N - 1.",
            DefaultValueFactory = _ => UpSettings.DefaultGatewayPort,
        };
        var reset = new Option<bool>("--reset")
        {
            Description = "Delete the local storage data (.settle/azurite) before starting.",
        };

        var command = new Command(
            "up",
            "Run the whole service on this machine until Ctrl-C: Azurite (local Azure Storage, data kept in .settle/azurite), "
            + "--silos silo processes and the API, all on 127.0.0.1.\n"
            + "Installs Azurite with `npm ci` when node_modules is missing and builds the silo and the API (Release). "
            + "Every port must be free: if one is in use, `up` says which and exits 1 (choose another with the options below). "
            + "Processes' output goes to .settle/logs/. Ctrl-C (or SIGTERM) stops the API, then the silos, then Azurite.\n"
            + "The admin token is made on the first start and kept in .settle/admin.token (mode 0600); the API is given its SHA-256. "
            + "Once ready, `up` seeds the demo data for `./settle demo` (institutions bank-a .. bank-e and bank-store, the store "
            + "demo-store; their tokens in .settle/demo.json, mode 0600); this is idempotent, so data kept from earlier runs is reused.\n"
            + "With --silos above 1, a silo that dies is reported and the others keep serving: Orleans declares it dead when its "
            + "membership probes fail and activates its grains on the remaining silos; it is not restarted. "
            + "Azurite, the API or the last silo dying stops everything.\n"
            + "Exit codes: 0 stopped by Ctrl-C; 1 could not start, or Azurite, the API or the last silo died (the end of its log is shown).");
        foreach (var option in new Option[] { silos, port, blobPort, queuePort, tablePort, siloPort, gatewayPort, reset })
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, ct) =>
        {
            // System.CommandLine gives an action 2 s after Ctrl-C before it abandons it (and so would orphan the
            // child processes). The pipeline reads this setting after the action has started, so it is set here,
            // before the first await: Ctrl-C then cancels `ct` and waits for the orderly stop.
            parseResult.InvocationConfiguration.ProcessTerminationTimeout = StopBudget;
            var settings = new UpSettings(
                parseResult.GetValue(silos),
                parseResult.GetValue(port),
                parseResult.GetValue(blobPort),
                parseResult.GetValue(queuePort),
                parseResult.GetValue(tablePort),
                parseResult.GetValue(siloPort),
                parseResult.GetValue(gatewayPort),
                parseResult.GetValue(reset));
            return UpRunner.RunAsync(settings, ct);
        });
        return command;
    }
}
