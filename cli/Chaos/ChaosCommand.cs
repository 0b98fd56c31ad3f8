using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansSettlement.Chaos;
using OrleansSettlement.Chaos.Cluster;
using OrleansSettlement.Chaos.Scenarios;
using OrleansSettlement.Cli.Service;
using Spectre.Console;

namespace OrleansSettlement.Cli.Chaos;

/// <summary><c>settle chaos</c>: seeded group-checkout scenarios with faults on a three-silo cluster, every invariant checked.</summary>
internal static class ChaosCommand
{
    public const int Passed = 0;
    public const int Failed = 1;
    public const int CannotRun = 2;
    public const int Interrupted = 130;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var scenarios = new Option<int>("--scenarios") { Description = "How many scenarios to run (1 to 1000000).", DefaultValueFactory = _ => 200 };
        var seed = new Option<int?>("--seed") { Description = "The seed (0 to 2147483647) that fixes every scenario and its fault schedule; a new one is drawn and printed when omitted." };
        var only = new Option<int?>("--only") { Description = "Run only scenario K (0-based) of the seed: the replay a failure prints." };
        var concurrency = new Option<int>("--concurrency") { Description = "Scenarios run at once (1 to 64); most of a scenario is waiting (retries, expiries, reminders), so more than the cores.", DefaultValueFactory = _ => 32 };
        var json = new Option<bool>("--json") { Description = "Print one JSON document (figures, faults by kind, outcomes, failures) and nothing else on stdout." };
        var logs = new Option<bool>("--logs") { Description = "Show the silos' warnings on the console." };
        var command = new Command(
            "chaos",
            "Run seeded group-checkout scenarios through the real grains on a cluster of three silos (Azure Table clustering, grain "
            + "storage and reminders on Azurite with durable data) while faults hit them: silos killed without a graceful stop and "
            + "restarted at protocol steps (S7-S10 in particular), grain storage conflicts, 503s, timeouts after the write landed and "
            + "latency, duplicated and reordered grain calls, client retries with the same content, payers that vanish mid-challenge, "
            + "and a few Azurite restarts per run. Scenarios: 1-5 payers at 1-3 banks, honest or adversarial (mismatched agreement, "
            + "forged note, double-spent note, bad or late response, two checkouts racing for one note). After each scenario and at "
            + "the end every invariant of PROTOCOL-CHOICES.md is checked from the stored rows, and every agreement must reach a final "
            + "outcome within the liveness bound once the scenario's faults stop. A failure prints its replay: "
            + "./settle chaos --seed S --scenarios N --only K.\n"
            + "Exit codes: 0 no violation and every agreement final; 1 a violation or an unfinished agreement; 2 wrong options or the "
            + "cluster could not start (Azurite missing: npm ci).");
        foreach (var option in new Option[] { scenarios, seed, only, concurrency, json, logs })
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, ct) => RunAsync(RequestFrom(parseResult), ct));
        return command;
    }

    /// <summary>What a parse of <see cref="Create"/>'s command asks (the options by name).</summary>
    internal static ChaosRequest RequestFrom(ParseResult parseResult) => new(
        parseResult.GetValue<int>("--scenarios"),
        parseResult.GetValue<int?>("--seed"),
        parseResult.GetValue<int?>("--only"),
        parseResult.GetValue<int>("--concurrency"),
        parseResult.GetValue<bool>("--json"),
        parseResult.GetValue<bool>("--logs"));

    /// <summary>The run a request makes, once its seed is known.</summary>
    internal static ChaosSettings SettingsFor(ChaosRequest request, int seed, string root, string location) => new()
    {
        Seed = seed,
        Scenarios = request.Scenarios,
        Only = request.Only,
        Concurrency = request.Concurrency,
        AzuriteExecutable = Path.Combine(root, "node_modules", ".bin", "azurite"),
        StorageLocation = location,
        ShowLogs = request.Logs,
    };

    /// <summary>What <c>settle chaos</c> was asked.</summary>
    internal sealed record ChaosRequest(int Scenarios, int? Seed, int? Only, int Concurrency, bool Json, bool Logs);

    internal static async Task<int> RunAsync(ChaosRequest request, CancellationToken ct)
    {
        if (Usage(request) is { } usage)
        {
            await Console.Error.WriteLineAsync($"settle chaos: {usage}").ConfigureAwait(false);
            return CannotRun;
        }

        var seed = request.Seed ?? Random.Shared.Next();
        var root = Repository.FindRoot();
        var location = Path.Combine(root, ".settle", "chaos", string.Create(CultureInfo.InvariantCulture, $"seed-{seed}-{DateTime.UtcNow:yyyyMMddHHmmss}"));
        var settings = SettingsFor(request, seed, root, location);
        var total = settings.Indices.Count();
        var terminal = !request.Json && !Console.IsOutputRedirected;
        var log = request.Json ? Console.Error : Console.Out;
        await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"settle chaos: seed {seed}, {total} scenario(s), {settings.Concurrency} at once, {settings.Silos} silos, Azurite data in {location}")).ConfigureAwait(false);
        try
        {
            ChaosReport report;
            if (terminal)
            {
                report = await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .StartAsync(async context =>
                    {
                        var bar = context.AddTask("scenarios", maxValue: total);
                        var failures = 0;
                        var progress = new Progress<ScenarioResult>(result =>
                        {
                            bar.Increment(1);
                            if (!result.Ok)
                            {
                                failures++;
                                bar.Description = $"scenarios, [red]{failures} failed[/]";
                            }
                        });
                        return await ChaosRun.RunAsync(settings, progress, ct).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            else
            {
                // Plain lines for logs: a running tally every 100 scenarios, and each failure with its replay as it happens.
                var tally = new ChaosTally();
                var progress = new Progress<ScenarioResult>(result =>
                {
                    var (done, line) = tally.Add(result);
                    if (!result.Ok)
                    {
                        log.WriteLine($"  scenario {result.Index} FAILED ({result.Description}): replay with {ChaosReplay.Scenario(settings, result.Index)}: {result.Unfinished ?? string.Join("; ", result.Violations)}");
                    }

                    if (done % 100 == 0)
                    {
                        log.WriteLine($"  {line}");
                    }
                });
                report = await ChaosRun.RunAsync(settings, progress, ct).ConfigureAwait(false);
            }

            if (request.Json)
            {
                await Console.Out.WriteLineAsync(ToJson(report).ToJsonString(Indented)).ConfigureAwait(false);
            }
            else if (terminal)
            {
                WriteSummary(report, AnsiConsole.Console);
            }
            else
            {
                WritePlain(report, Console.Out);
            }

            if (report.Ok)
            {
                TryDelete(location);
            }

            return report.Ok ? Passed : Failed;
        }
        catch (ChaosSetupException failure)
        {
            await Console.Error.WriteLineAsync($"settle chaos: the cluster could not start: {failure.Message}").ConfigureAwait(false);
            return CannotRun;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("settle chaos: interrupted.").ConfigureAwait(false);
            return Interrupted;
        }
#pragma warning disable CA1031 // The last resort: a bug is still reported in words, never as a stack trace.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"settle chaos: internal error ({exception.GetType().Name}): {exception.Message}; replay the run with {ChaosReplay.Run(settings)}").ConfigureAwait(false);
            return Failed;
        }
    }

    internal static string? Usage(ChaosRequest request) => request switch
    {
        { Scenarios: < 1 or > 1_000_000 } => $"--scenarios must be 1 to 1000000, not {request.Scenarios}.",
        { Seed: < 0 } => $"--seed must be 0 to 2147483647, not {request.Seed}.",
        { Only: { } k } when k < 0 || k >= request.Scenarios => $"--only must be a scenario index 0 to {request.Scenarios - 1}, not {k} (with --scenarios {request.Scenarios}).",
        { Only: not null, Seed: null } => "--only replays a scenario of a seed: give --seed too.",
        { Concurrency: < 1 or > 64 } => $"--concurrency must be 1 to 64, not {request.Concurrency}.",
        _ => null,
    };

    private static void WriteSummary(ChaosReport report, IAnsiConsole console)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        foreach (var (name, value) in Figures(report))
        {
            table.AddRow(Markup.Escape(name), Markup.Escape(value));
        }

        console.Write(table);
        var faults = new Table().Border(TableBorder.Rounded).AddColumn("fault").AddColumn(new TableColumn("injected").RightAligned());
        foreach (var (kind, count) in report.FaultsByKind)
        {
            faults.AddRow(kind.ToString(), count.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(faults);
        foreach (var line in FailureLines(report))
        {
            console.MarkupLine($"[red]{Markup.Escape(line)}[/]");
        }

        console.MarkupLine(report.Ok ? "[green]0 invariant violations, 0 unfinished agreements[/]" : "[red]FAILED[/]");
    }

    private static void WritePlain(ChaosReport report, TextWriter output)
    {
        foreach (var (name, value) in Figures(report))
        {
            output.WriteLine($"{name}: {value}");
        }

        output.WriteLine("faults by kind: " + string.Join(", ", report.FaultsByKind.Select(p => $"{p.Key} {p.Value}")));
        foreach (var line in FailureLines(report))
        {
            output.WriteLine(line);
        }

        output.WriteLine(report.Ok ? "0 invariant violations, 0 unfinished agreements" : "FAILED");
    }

    private static IEnumerable<(string, string)> Figures(ChaosReport report)
    {
        var c = CultureInfo.InvariantCulture;
        yield return ("seed", report.Seed.ToString(c));
        yield return ("scenarios", report.Scenarios.Count.ToString(c));
        yield return ("scenarios with no fault", report.WithoutFaults.ToString(c));
        yield return ("checkouts", string.Join(", ", report.OutcomesByStage.Select(p => $"{p.Key} {p.Value}")));
        yield return ("invariant violations", report.Violations.ToString(c));
        yield return ("unfinished", report.Unfinished.ToString(c));
        yield return ("worst time to final outcome after faults stopped", $"{report.WorstTimeToFinal.TotalSeconds.ToString("0.0", c)} s (bound {ChaosSettings.LivenessBound.TotalSeconds.ToString("0", c)} s)");
        yield return ("final check of every row", $"{report.Final.Committed} committed, {report.Final.Aborted} aborted, {report.Final.Notes} notes, {report.Final.Violations.Count} violations");
        yield return ("wall time", $"{report.Wall.TotalSeconds.ToString("0.0", c)} s (cluster start {report.Startup.TotalSeconds.ToString("0.0", c)} s)");
        if (report.AzuriteForcedStops > 0)
        {
            yield return ("Azurite stops that needed SIGKILL", report.AzuriteForcedStops.ToString(c));
        }
    }

    private static IEnumerable<string> FailureLines(ChaosReport report)
    {
        foreach (var failed in report.Failed)
        {
            yield return $"scenario {failed.Index} ({failed.Description}): replay with {report.ReplayOf(failed)}";
            if (failed.Unfinished is not null)
            {
                yield return $"  unfinished: {failed.Unfinished}";
            }

            if (failed.HistoryFile is not null)
            {
                yield return $"  history: {failed.HistoryFile}";
            }

            foreach (var violation in failed.Violations)
            {
                yield return $"  violation: {violation}";
            }
        }

        foreach (var violation in report.Final.Violations)
        {
            yield return $"final check (seed {report.Seed}, replay the whole run: {report.Replay}): {violation}";
        }
    }

    private static JsonObject ToJson(ChaosReport report)
    {
        var faults = new JsonObject();
        foreach (var (kind, count) in report.FaultsByKind)
        {
            faults[kind.ToString()] = count;
        }

        var outcomes = new JsonObject();
        foreach (var (stage, count) in report.OutcomesByStage)
        {
            outcomes[stage] = count;
        }

        var failures = new JsonArray();
        foreach (var failed in report.Failed)
        {
            failures.Add(new JsonObject
            {
                ["index"] = failed.Index,
                ["description"] = failed.Description,
                ["replay"] = report.ReplayOf(failed),
                ["unfinished"] = failed.Unfinished,
                ["violations"] = new JsonArray([.. failed.Violations.Select(v => (JsonNode)JsonValue.Create(v))]),
                ["history"] = failed.HistoryFile,
            });
        }

        return new JsonObject
        {
            ["ok"] = report.Ok,
            ["seed"] = report.Seed,
            ["scenarios"] = report.Scenarios.Count,
            ["scenariosWithoutFaults"] = report.WithoutFaults,
            ["violations"] = report.Violations,
            ["unfinished"] = report.Unfinished,
            ["worstTimeToFinalSeconds"] = Math.Round(report.WorstTimeToFinal.TotalSeconds, 2),
            ["livenessBoundSeconds"] = ChaosSettings.LivenessBound.TotalSeconds,
            ["wallSeconds"] = Math.Round(report.Wall.TotalSeconds, 1),
            ["faultsByKind"] = faults,
            ["checkouts"] = outcomes,
            ["finalCheck"] = new JsonObject
            {
                ["committed"] = report.Final.Committed,
                ["aborted"] = report.Final.Aborted,
                ["notes"] = report.Final.Notes,
                ["violations"] = new JsonArray([.. report.Final.Violations.Select(v => (JsonNode)JsonValue.Create(v))]),
            },
            ["failures"] = failures,
        };
    }

    private static void TryDelete(string location)
    {
        try
        {
            Directory.Delete(location, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
