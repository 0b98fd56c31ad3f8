using System.Globalization;
using Spectre.Console;

namespace OrleansSettlement.Cli.Demo;

/// <summary>
/// Progress on a terminal: a spinner says what the demo is doing or waiting for, and every note and step S1..S10 is
/// written above it as it happens.
/// </summary>
internal sealed class SpectreProgress(IAnsiConsole console) : IDemoProgress
{
    private readonly Lock _gate = new();
    private StatusContext? _status;

    /// <summary>Runs <paramref name="body"/> under the spinner.</summary>
    public Task<T> RunAsync<T>(string first, Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return console.Status()
            .Spinner(Spinner.Known.Dots)
            .StartAsync(Markup.Escape(first), async context =>
            {
                lock (_gate)
                {
                    _status = context;
                }

                try
                {
                    return await body().ConfigureAwait(false);
                }
                finally
                {
                    lock (_gate)
                    {
                        _status = null;
                    }
                }
            });
    }

    public void Phase(string text) => SetStatus(text);

    public void Note(string text)
    {
        lock (_gate)
        {
            console.MarkupLine("[grey]·[/] " + Markup.Escape(text));
        }
    }

    public void Step(DemoStep step, string detail)
    {
        ArgumentNullException.ThrowIfNull(step);
        var colour = step.Source == "client" ? "deepskyblue1" : "green";
        lock (_gate)
        {
            console.MarkupLine(string.Create(
                CultureInfo.InvariantCulture,
                $"[bold {colour}]{step.Step,-4}[/][grey]{step.DurationMs,7} ms  {Markup.Escape(DemoText.TimeOfDay(step.At)),-12}[/]  {Markup.Escape(detail)}"));
        }
    }

    public void Waiting(string text, TimeSpan waited) => SetStatus(text);

    private void SetStatus(string text)
    {
        lock (_gate)
        {
            _status?.Status(Markup.Escape(text));
        }
    }
}

/// <summary>The report as tables on a terminal.</summary>
internal static class SpectreSummary
{
    public static void Write(DemoReport report, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(console);
        console.WriteLine();
        var headline = Markup.Escape(DemoSummary.Headline(report));
        console.MarkupLine(report.Outcome == DemoOutcomes.Settled ? $"[bold green]{headline}[/]" : $"[bold red]{headline}[/]");

        if (report.Receipt is { } receipt)
        {
            console.MarkupLine(Markup.Escape($"Agreement {receipt.AgreementId}, order {receipt.OrderRef}, settled at {receipt.SettledAt}"));
            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"Receipt of {report.Store.DisplayName} ({receipt.Store})"));
            table.AddColumn("Payer");
            table.AddColumn("Bank");
            table.AddColumn(new TableColumn("Paid").RightAligned());
            table.AddColumn(new TableColumn("Change").RightAligned());
            table.AddColumn("Change note (serial)");
            foreach (var line in receipt.Payers)
            {
                var payer = report.PayerOf(line.Wallet);
                var name = payer is null ? DemoText.Short(line.Wallet) : payer.Leader ? $"{payer.Name} (leader)" : payer.Name;
                var serials = string.Join("\n", line.ChangeNotes.Select(n => DemoReport.ReadNote(n, "outstanding").Serial));
                table.AddRow(
                    Markup.Escape(name),
                    Markup.Escape(line.Institution),
                    Markup.Escape(DemoText.Money(line.PaidMinor, receipt.Currency)),
                    Markup.Escape(DemoText.Money(line.ChangeMinor, receipt.Currency)),
                    Markup.Escape(serials.Length == 0 ? "-" : serials));
            }

            table.AddRow(
                "[bold]Total[/]",
                Markup.Escape($"to {receipt.Payee.Institution}"),
                $"[bold]{Markup.Escape(DemoText.Money(receipt.TotalMinor, receipt.Currency))}[/]",
                Markup.Escape(DemoText.Money(receipt.Payers.Sum(p => p.ChangeMinor), receipt.Currency)),
                "");
            console.Write(table);
        }

        if (report.BalancesBefore.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Balances: accounts (read by their banks' operators) and the notes the payers' wallets hold");
            table.AddColumn("Owner");
            table.AddColumn("Bank/account");
            table.AddColumn(new TableColumn("Account before").RightAligned());
            table.AddColumn(new TableColumn("Notes before").RightAligned());
            table.AddColumn(new TableColumn("Account after").RightAligned());
            table.AddColumn(new TableColumn("Notes after").RightAligned());
            table.AddColumn(new TableColumn("Change").RightAligned());
            foreach (var row in DemoSummary.BalanceRows(report))
            {
                table.AddRow(
                    Markup.Escape(row.Owner),
                    Markup.Escape(row.Account),
                    Markup.Escape(row.AccountBefore),
                    Markup.Escape(row.NotesBefore ?? "-"),
                    Markup.Escape(row.AccountAfter),
                    Markup.Escape(row.NotesAfter ?? "-"),
                    $"[bold]{Markup.Escape(row.Change)}[/]");
            }

            console.Write(table);
        }

        if (report.NotesBefore.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("Notes in the payers' wallets (serial, amount, state)");
            table.AddColumn("Payer");
            table.AddColumn("Before");
            table.AddColumn("After");
            foreach (var row in DemoSummary.NoteRows(report))
            {
                table.AddRow(Markup.Escape(row.Payer), Markup.Escape(string.Join("\n", row.Before)), Markup.Escape(string.Join("\n", row.After)));
            }

            console.Write(table);
        }
    }
}
