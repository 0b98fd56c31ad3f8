using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrleansSettlement.Cli.Service;
using OrleansSettlement.Sdk;
using Spectre.Console;

namespace OrleansSettlement.Cli.Demo;

/// <summary><c>settle demo</c>: one whole group checkout against a running service, shown step by step.</summary>
internal static class DemoCommand
{
    public const int Settled = 0;
    public const int NotSettled = 1;
    public const int CannotRun = 2;
    public const int Interrupted = 130;

    private static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReadyPatience = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var url = new Option<string>("--url")
        {
            Description = "The API of the service (default: the local one that `./settle up` runs).",
            DefaultValueFactory = _ => $"http://127.0.0.1:{UpSettings.DefaultApiPort}",
        };
        var payers = new Option<int>("--payers")
        {
            Description = $"How many payers pay together ({DemoSettings.MinPayers} to {DemoSettings.MaxPayers}); payer 1 is the leader.",
            DefaultValueFactory = _ => DemoSettings.DefaultPayers,
        };
        var banks = new Option<int>("--banks")
        {
            Description = "Over how many payer banks the payers are spread round-robin (1 to 5: bank-a .. bank-e).",
            DefaultValueFactory = _ => DemoSettings.DefaultBanks,
        };
        var storeBank = new Option<string>("--store-bank")
        {
            Description = "The store's bank: bank-store (store demo-store), or a payer bank bank-a .. bank-e (its own demo store, made on first use).",
            DefaultValueFactory = _ => DemoCatalog.StoreBank,
        };
        var amount = new Option<long>("--amount")
        {
            Description = "The total in minor units (EUR cents), split into shares that sum to it exactly (the first ones 1 cent larger).",
            DefaultValueFactory = _ => DemoSettings.DefaultAmountMinor,
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON document (outcome, agreementId, checkout, steps, receipt, balances, notes, timings) and nothing else on stdout.",
        };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for the outcome, and for the service through failures such as a silo that died.",
            DefaultValueFactory = _ => (int)DemoSettings.DefaultOutcomeTimeout.TotalSeconds,
        };
        var tokens = new Option<string?>("--tokens")
        {
            Description = "The demo's tokens file (default: .settle/demo.json, written by `./settle up`).",
        };
        var adminToken = new Option<string?>("--admin-token")
        {
            Description = "Seed the demo data first, as this admin (for a service that `./settle up` did not start); the tokens made go to the tokens file.",
        };

        var command = new Command(
            "demo",
            "Run one whole group checkout against a running service and show it: the banks fund a fresh account and wallet "
            + "for each payer, the payers withdraw notes worth more than their shares, the store opens a checkout, the leader "
            + "proposes the agreement, then S1 contributions to the leader, S2 the bundle, S3 checks, S4 challenges, S5 answers, "
            + "and S6-S10 in the service and the banks, each with its duration (the time since the previous step, as the demo saw "
            + "it); then the receipt, the change notes, and every account and wallet involved before and after.\n"
            + "Calls that fail on the way (no answer, 5xx, such as while a dead silo's grains move) are retried with the same "
            + "idempotency keys until --timeout, with progress shown.\n"
            + "Start the service first with `./settle up` (it seeds the demo banks bank-a .. bank-e, bank-store and the store "
            + "demo-store, and keeps their tokens in .settle/demo.json).\n"
            + "Exit codes: 0 settled; 1 not settled (refused, aborted, timed out: the problem code and reason are printed); "
            + "2 wrong options, no demo data, or the service does not answer.");
        foreach (var option in new Option[] { url, payers, banks, storeBank, amount, json, timeout, tokens, adminToken })
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, ct) => RunAsync(
            new DemoRequest(
                parseResult.GetValue(url)!,
                new DemoSettings(parseResult.GetValue(payers), parseResult.GetValue(banks), parseResult.GetValue(storeBank)!, parseResult.GetValue(amount))
                {
                    OutcomeTimeout = TimeSpan.FromSeconds(Math.Max(0, parseResult.GetValue(timeout))),
                },
                parseResult.GetValue(json),
                parseResult.GetValue(tokens),
                parseResult.GetValue(adminToken)),
            ct));
        return command;
    }

    /// <summary>What <c>settle demo</c> was asked.</summary>
    internal sealed record DemoRequest(string Url, DemoSettings Settings, bool Json, string? TokensFile, string? AdminToken);

    internal static async Task<int> RunAsync(DemoRequest request, CancellationToken ct)
    {
        var terminal = !request.Json && !Console.IsOutputRedirected;
        try
        {
            request.Settings.Validate();
            var address = ApiAddress(request.Url);
            var tokensPath = request.TokensFile ?? DefaultTokensFile();
            using var http = new HttpClient { BaseAddress = address, Timeout = HttpTimeout };
            var client = new SettlementClient(http);
            IDemoProgress progress = terminal ? new SpectreProgress(AnsiConsole.Console) : new PlainProgress(request.Json ? Console.Error : Console.Out, waitingOnly: request.Json);

            await CheckReadyAsync(http, address, progress, ct).ConfigureAwait(false);
            var seeder = new DemoSeeder(client, tokensPath, progress.Waiting);
            if (!string.IsNullOrWhiteSpace(request.AdminToken))
            {
                await seeder.SeedAsync(request.AdminToken, ct).ConfigureAwait(false);
            }

            var parties = await seeder.PrepareAsync(request.Settings.StoreBank, request.Settings.PayerBanks, ct).ConfigureAwait(false);
            var runner = new DemoRunner(client, parties, progress);
            var header = Header(address, request.Settings, parties.Store);
            DemoReport report;
            if (progress is SpectreProgress spectre)
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(header)}[/]");
                report = await spectre.RunAsync("Starting", () => runner.RunAsync(request.Settings, ct)).ConfigureAwait(false);
                SpectreSummary.Write(report, AnsiConsole.Console);
            }
            else if (request.Json)
            {
                report = await runner.RunAsync(request.Settings, ct).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(report.ToJson().ToJsonString(Indented)).ConfigureAwait(false);
            }
            else
            {
                await Console.Out.WriteLineAsync(header).ConfigureAwait(false);
                report = await runner.RunAsync(request.Settings, ct).ConfigureAwait(false);
                PlainSummary.Write(report, Console.Out);
            }

            if (report.Outcome == DemoOutcomes.Settled)
            {
                return Settled;
            }

            await Console.Error.WriteLineAsync($"settle demo: {report.Outcome.Replace('_', ' ')}: {DemoSummary.Problem(report)}").ConfigureAwait(false);
            if (report.Outcome == DemoOutcomes.Unavailable && report.Problem?.Status == 0)
            {
                await Console.Error.WriteLineAsync(StartHint(address)).ConfigureAwait(false);
                return CannotRun;
            }

            return NotSettled;
        }
        catch (DemoSetupException failure)
        {
            return Fail(CannotRun, failure.Message);
        }
        catch (SettlementApiException failure) when (failure.Status == 0)
        {
            return Fail(CannotRun, $"the service at {request.Url} does not answer ({failure.Detail}). {StartHint(null)}");
        }
        catch (SettlementApiException failure)
        {
            return Fail(CannotRun, $"the service at {request.Url} is not available: {DemoCalls.Describe(failure)}.");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Fail(Interrupted, "interrupted; a checkout already opened expires unpaid after 10 minutes, and no money moves unless every bank settles.");
        }
#pragma warning disable CA1031 // The last resort: a bug is still reported in words, never as a stack trace.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return Fail(NotSettled, $"internal error ({exception.GetType().Name}): {exception.Message}");
        }
    }

    private static string Header(Uri address, DemoSettings settings, DemoStoreEntry store) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"Group checkout at {address.AbsoluteUri.TrimEnd('/')}: {settings.Payers} payers at {string.Join(", ", settings.PayerBanks)} pay {DemoText.Money(settings.AmountMinor, settings.Currency)} to {store.Store} ({store.DisplayName}) at {store.Institution}");

    private static Uri ApiAddress(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new DemoSetupException($"--url must be an http or https address, such as http://127.0.0.1:{UpSettings.DefaultApiPort}; '{url}' was given.");
        }

        return address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");
    }

    private static string DefaultTokensFile()
    {
        try
        {
            return new Service.Layout(Repository.FindRoot()).DemoTokensFile;
        }
        catch (UpFailedException failure)
        {
            throw new DemoSetupException($"{failure.Message} (or name the demo's tokens file with --tokens).");
        }
    }

    private static string StartHint(Uri? address) =>
        address is null || address.IsLoopback
            ? "Start the local service with `./settle up` (in another terminal; it is ready when it prints \"OrleansSettlement is up\"), then run the demo again."
            : "Check --url, or start the local service with `./settle up` and leave out --url.";

    /// <summary>Waits until the service answers /health/ready with 200 (up to 30 s); refuses (exit 2) when nothing answers.</summary>
    private static async Task CheckReadyAsync(HttpClient http, Uri address, IDemoProgress progress, CancellationToken ct)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            string last;
            try
            {
                using var response = await http.GetAsync(new Uri("health/ready", UriKind.Relative), ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    throw new DemoSetupException($"{address.AbsoluteUri} answers, but has no /health/ready: is it the OrleansSettlement API? {StartHint(address)}");
                }

                last = string.Create(CultureInfo.InvariantCulture, $"/health/ready answers {(int)response.StatusCode}");
            }
            catch (HttpRequestException exception)
            {
                throw new DemoSetupException($"the service at {address.AbsoluteUri.TrimEnd('/')} does not answer ({exception.Message}). {StartHint(address)}", exception);
            }
            catch (TaskCanceledException exception) when (!ct.IsCancellationRequested)
            {
                throw new DemoSetupException($"the service at {address.AbsoluteUri.TrimEnd('/')} did not answer within {HttpTimeout.TotalSeconds:0} s. {StartHint(address)}", exception);
            }

            var waited = TimeProvider.System.GetElapsedTime(started);
            if (waited > ReadyPatience)
            {
                throw new DemoSetupException($"the service at {address.AbsoluteUri.TrimEnd('/')} is not ready after {ReadyPatience.TotalSeconds:0} s ({last}); see .settle/logs/ for a local service.");
            }

            progress.Waiting($"the service is not ready yet ({last})", waited + TimeSpan.FromSeconds(2));
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    private static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine("settle demo: " + message.ReplaceLineEndings(" "));
        return exitCode;
    }
}
