using System.CommandLine;
using System.Globalization;
using OrleansSettlement.Bench.Hosting;
using OrleansSettlement.Bench.Load;
using OrleansSettlement.Bench.Report;
using Spectre.Console;

namespace OrleansSettlement.Bench;

/// <summary><c>settle bench</c>: its options, its exit codes, and how it prints (a table, or one JSON document).</summary>
public static class BenchCommand
{
    /// <summary>Every checkout settled and every counter that cannot be zero is not.</summary>
    public const int Passed = 0;

    /// <summary>A checkout failed or aborted, or a counter that cannot be zero read zero, or two counts disagree.</summary>
    public const int Failed = 1;

    /// <summary>Wrong options, or the bench could not set itself up (Azurite missing, a refusal while creating parties).</summary>
    public const int CannotRun = 2;

    public const int Interrupted = 130;

    public static RootCommand Create()
    {
        var duration = new Option<int>("--duration") { Description = "Seconds each measured phase runs.", DefaultValueFactory = _ => 20 };
        var payers = new Option<int>("--payers") { Description = "Payers per checkout (N).", DefaultValueFactory = _ => BenchLayout.Default.Payers };
        var banks = new Option<int>("--banks") { Description = "Payer banks (K); payers are spread over them round-robin.", DefaultValueFactory = _ => BenchLayout.Default.Banks };
        var stores = new Option<int>("--stores") { Description = "Stores (S); checkout i goes to store i mod S.", DefaultValueFactory = _ => BenchLayout.Default.Stores };
        var storesAtPayerBanks = new Option<bool>("--stores-at-payer-banks") { Description = "Put the stores at the payer banks instead of a bank of their own." };
        var rate = new Option<double?>("--rate") { Description = "Offered checkouts per second (open loop). Without it: a saturating phase, then an open-loop phase at half the throughput found." };
        var concurrency = new Option<int>("--concurrency") { Description = "At most this many checkouts in flight; also the concurrency of the raw-write measurement.", DefaultValueFactory = _ => 64 };
        var storage = new Option<string>("--storage") { Description = "azurite, memory, or both (memory first).", DefaultValueFactory = _ => "both" };
        storage.AcceptOnlyFromAmong("azurite", "memory", "both");
        var path = new Option<string>("--path") { Description = "How the apps reach the service: grain (the in-process Orleans client, the calls the API makes).", DefaultValueFactory = _ => "grain" };
        path.AcceptOnlyFromAmong("grain");
        var hot = new Option<bool>("--hot-grains") { Description = "Also compare 1 store whose payers all bank at 1 bank with 8 stores at 4 banks, at the load that saturates the latter." };
        var bounded = new Option<bool>("--bounded-state") { Description = "Run only the bounded-state mode: 100,000 notes at one bank, 10,000 checkouts at one store; report the largest grain state and the memory after idle deactivation (slow)." };
        var boundedScale = new Option<double>("--bounded-scale") { Description = "Scale of --bounded-state (1 = the full 100,000 notes and 10,000 checkouts).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout (progress goes to stderr)." };
        var logs = new Option<bool>("--logs") { Description = "Show the silo's warnings and errors on stderr." };

        var command = new RootCommand(
            "Measure how fast and how cheaply group checkouts settle: starts Azurite (in memory, free ports) and a real silo "
            + "(SiloConfiguration) in this process, creates banks, stores and payers, and runs an open-loop load of whole group "
            + "checkouts (open, propose, S1 contributions, S2 bundle, S4/S5 challenges answered at once by simulated apps, S10) "
            + "through the grains, in each storage mode. Prints settled checkouts/s, the S2-to-S10 latency p50/p95/p99, the cost "
            + "of one checkout counted by instrumentation (durable writes by grain type, ES256 verifications and signs, Key Vault "
            + "operations, grain calls), this machine's ES256 verifications/s and raw grain-state writes/s measured in the same "
            + "run, the crypto and storage ratios, and the issue's targets met or missed (docs/performance.md).\n"
            + "Exit codes: 0 every checkout settled and every counter that cannot be zero is not; 1 a checkout failed or "
            + "aborted, a counter read zero or two counts disagree (the reasons are printed); 2 wrong options or the bench "
            + "could not set itself up; 130 interrupted.");
        foreach (var option in new Option[] { duration, payers, banks, stores, storesAtPayerBanks, rate, concurrency, storage, path, hot, bounded, boundedScale, json, logs })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) =>
        {
            var settings = new BenchSettings
            {
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                Layout = new BenchLayout(parse.GetValue(payers), parse.GetValue(banks), parse.GetValue(stores), parse.GetValue(storesAtPayerBanks)),
                Rate = parse.GetValue(rate),
                Concurrency = parse.GetValue(concurrency),
                Storage = parse.GetValue(storage) switch
                {
                    "azurite" => [StorageMode.Azurite],
                    "memory" => [StorageMode.Memory],
                    _ => [StorageMode.Memory, StorageMode.Azurite],
                },
                HotGrains = parse.GetValue(hot),
                BoundedState = parse.GetValue(bounded),
                BoundedScale = parse.GetValue(boundedScale),
                ShowLogs = parse.GetValue(logs),
            };
            return RunAsync(settings, parse.GetValue(json), ct);
        });
        return command;
    }

    /// <summary>Runs the bench and prints the report; returns the exit code.</summary>
    public static async Task<int> RunAsync(BenchSettings settings, bool json, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Validate() is { } problem)
        {
            await Console.Error.WriteLineAsync("settle bench: " + problem).ConfigureAwait(false);
            return CannotRun;
        }

        var terminal = !json && !Console.IsOutputRedirected && !Console.IsErrorRedirected;
        try
        {
            BenchReport report;
            if (terminal)
            {
                report = await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync("Starting", context =>
                    new BenchRunner(settings, text =>
                    {
                        context.Status(Markup.Escape(text));
                        AnsiConsole.MarkupLine("[grey]·[/] " + Markup.Escape($"{DateTime.Now:HH:mm:ss} {text}"));
                    }).RunAsync(ct)).ConfigureAwait(false);
            }
            else
            {
                report = await new BenchRunner(settings, text => Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {text}")).RunAsync(ct).ConfigureAwait(false);
            }

            if (json)
            {
                await Console.Out.WriteLineAsync(report.ToJson()).ConfigureAwait(false);
            }
            else
            {
                BenchTable.Write(report, terminal ? AnsiConsole.Console : AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Out = new AnsiConsoleOutput(Console.Out) }));
            }

            foreach (var failure in report.Problems)
            {
                await Console.Error.WriteLineAsync("settle bench: " + failure).ConfigureAwait(false);
            }

            return report.Problems.Count == 0 ? Passed : Failed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("settle bench: interrupted; everything it started was stopped.").ConfigureAwait(false);
            return Interrupted;
        }
        catch (BenchSetupException failure)
        {
            await Console.Error.WriteLineAsync("settle bench: " + failure.Message).ConfigureAwait(false);
            return CannotRun;
        }
    }

    internal static string Number(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);
}
