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
        var o = new BenchOptions();
        var command = o.AddTo(new RootCommand(BenchOptions.Description));
        command.SetAction((parse, ct) =>
        {
            // Read by the pipeline after the action has started, so set before the first await (as `settle up` does).
            parse.InvocationConfiguration.ProcessTerminationTimeout = BenchOptions.StopBudget;
            var settings = new BenchSettings
            {
                Duration = TimeSpan.FromSeconds(parse.GetValue(o.Duration)),
                Layout = new BenchLayout(parse.GetValue(o.Payers), parse.GetValue(o.Banks), parse.GetValue(o.Stores), parse.GetValue(o.StoresAtPayerBanks)),
                Rate = parse.GetValue(o.Rate),
                Concurrency = parse.GetValue(o.Concurrency),
                Storage = parse.GetValue(o.Storage) switch
                {
                    "azurite" => [StorageMode.Azurite],
                    "memory" => [StorageMode.Memory],
                    _ => [StorageMode.Memory, StorageMode.Azurite],
                },
                Path = parse.GetValue(o.Path) == "http" ? BenchPath.Http : BenchPath.Grain,
                HotGrains = parse.GetValue(o.HotGrains),
                BoundedState = parse.GetValue(o.BoundedState),
                BoundedScale = parse.GetValue(o.BoundedScale),
                Signer = parse.GetValue(o.Signer) == "fake-vault" ? BenchSigner.FakeVault : BenchSigner.Development,
                ShowLogs = parse.GetValue(o.Logs),
                Tail = parse.GetValue(o.Tail),
            };
            return RunAsync(settings, parse.GetValue(o.Json), ct);
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
                var console = terminal ? AnsiConsole.Console : AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Out = new AnsiConsoleOutput(Console.Out) });
                if (!terminal)
                {
                    console.Profile.Width = 160;
                }

                BenchTable.Write(report, console);
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
#pragma warning disable CA1031 // The last resort: a failure is reported in one line, never as a stack trace.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"settle bench: the run failed ({failure.GetType().Name}): {FirstLine(failure.Message)}").ConfigureAwait(false);
            return Failed;
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "..." : line;
    }

    internal static string Number(double value, string format = "0.##") => value.ToString(format, CultureInfo.InvariantCulture);
}
