using System.Globalization;

namespace OrleansSettlement.Cli.Demo;

/// <summary>The rows the demo prints after a checkout, shared by the plain and the terminal output.</summary>
internal static class DemoSummary
{
    /// <summary>"Settled in 1.8 s ..." or "Aborted: code: detail".</summary>
    public static string Headline(DemoReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var t = report.Timings;
        var s2 = t.S2ToS10Ms is { } ms ? string.Create(CultureInfo.InvariantCulture, $"; S2 → S10 {ms} ms") : "";
        var timing = string.Create(CultureInfo.InvariantCulture, $"checkout {t.CheckoutMs} ms{s2}; payers' setup {t.SetupMs} ms; in all {t.TotalMs} ms");
        return report.Outcome switch
        {
            DemoOutcomes.Settled => $"Settled: {timing}",
            _ => $"{char.ToUpperInvariant(report.Outcome[0])}{report.Outcome[1..].Replace('_', ' ')}: {Problem(report)} ({timing})",
        };
    }

    /// <summary>"bank_invalid: the notes ..." for a report that did not settle.</summary>
    public static string Problem(DemoReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Problem is not { } problem)
        {
            return "no problem reported";
        }

        var code = problem.Code ?? (problem.Status > 0 ? string.Create(CultureInfo.InvariantCulture, $"HTTP {problem.Status}") : "no code");
        return $"{code}: {problem.Detail} (while {problem.During})";
    }

    /// <summary>One row per payer of the receipt: name, bank, paid, change and its change notes.</summary>
    public static IEnumerable<(string Payer, string Institution, string Paid, string Change, string Notes)> ReceiptRows(DemoReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Receipt is not { } receipt)
        {
            yield break;
        }

        foreach (var line in receipt.Payers)
        {
            var payer = report.PayerOf(line.Wallet);
            var name = payer is null ? DemoText.Short(line.Wallet) : payer.Leader ? $"{payer.Name} (leader)" : payer.Name;
            var notes = string.Join(", ", line.ChangeNotes.Select(n => DemoReport.ReadNote(n, "outstanding")).Select(n => $"{n.Serial} ({DemoText.Money(n.AmountMinor, receipt.Currency)})"));
            yield return (name, line.Institution, DemoText.Money(line.PaidMinor, receipt.Currency), DemoText.Money(line.ChangeMinor, receipt.Currency), notes.Length == 0 ? "-" : notes);
        }
    }

    /// <summary>
    /// One row per account: owner, bank/account, the account's balance and the notes held before and after (a store holds
    /// no notes: null), and the change of both together.
    /// </summary>
    public static IEnumerable<BalanceRow> BalanceRows(DemoReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var currency = report.Settings.Currency;
        foreach (var before in report.BalancesBefore)
        {
            var after = report.BalancesAfter.FirstOrDefault(b => b.Institution == before.Institution && b.Account == before.Account);
            var holdsNotes = !before.Owner.StartsWith("store", StringComparison.Ordinal);
            yield return new BalanceRow(
                before.Owner,
                $"{before.Institution}/{before.Account}",
                DemoText.Money(before.BalanceMinor, currency),
                holdsNotes ? DemoText.Money(before.NotesMinor, currency) : null,
                after is null ? "(not read)" : DemoText.Money(after.BalanceMinor, currency),
                holdsNotes && after is not null ? DemoText.Money(after.NotesMinor, currency) : null,
                after is null ? "" : DemoText.Delta(after.TotalMinor - before.TotalMinor, currency));
        }
    }

    /// <summary>One row per payer: its notes before and after, each "serial amount state".</summary>
    public static IEnumerable<(string Payer, IReadOnlyList<string> Before, IReadOnlyList<string> After)> NoteRows(DemoReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var before in report.NotesBefore)
        {
            var after = report.NotesAfter.FirstOrDefault(n => n.Payer == before.Payer);
            yield return ($"payer {before.Payer}", Notes(before, report.Settings.Currency), after is null ? ["(not read)"] : Notes(after, report.Settings.Currency));
        }
    }

    private static List<string> Notes(DemoWalletNotes wallet, string currency) =>
        wallet.Notes.Count == 0
            ? ["none"]
            : [.. wallet.Notes.Select(n => $"{DemoText.Short(n.Serial)} {DemoText.Money(n.AmountMinor, currency)} {n.State}")];
}

/// <summary>A row of the balances: the account's balance and the payer's notes (null for a store) before and after.</summary>
internal sealed record BalanceRow(string Owner, string Account, string AccountBefore, string? NotesBefore, string AccountAfter, string? NotesAfter, string Change)
{
    public string Before => NotesBefore is null ? AccountBefore : $"account {AccountBefore} + notes {NotesBefore}";

    public string After => NotesAfter is null ? AccountAfter : $"account {AccountAfter} + notes {NotesAfter}";
}

/// <summary>The report as plain lines (stdout not a terminal).</summary>
internal static class PlainSummary
{
    public static void Write(DemoReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine();
        output.WriteLine(DemoSummary.Headline(report));
        if (report.Receipt is { } receipt)
        {
            output.WriteLine();
            output.WriteLine($"Receipt: store {receipt.Store} ({report.Store.DisplayName}), order {receipt.OrderRef}, total {DemoText.Money(receipt.TotalMinor, receipt.Currency)} "
                + $"paid into {receipt.Payee.Institution}/{receipt.Payee.Account}, settled at {receipt.SettledAt}, agreement {receipt.AgreementId}");
            foreach (var row in DemoSummary.ReceiptRows(report))
            {
                output.WriteLine($"  {row.Payer,-18} {row.Institution,-10} paid {row.Paid,-14} change {row.Change,-14} change note: {row.Notes}");
            }

            output.WriteLine($"  paid in all {DemoText.Money(receipt.Payers.Sum(p => p.PaidMinor), receipt.Currency)}, change in all {DemoText.Money(receipt.Payers.Sum(p => p.ChangeMinor), receipt.Currency)}");
        }

        if (report.BalancesBefore.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Balances before → after (each account as its bank's operator reads it; a payer's notes as its wallet lists them):");
            foreach (var row in DemoSummary.BalanceRows(report))
            {
                output.WriteLine($"  {row.Owner,-24} {row.Account,-32} {row.Before}  →  {row.After}  ({row.Change})");
            }
        }

        if (report.NotesBefore.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Notes before → after:");
            foreach (var row in DemoSummary.NoteRows(report))
            {
                output.WriteLine($"  {row.Payer,-10} {string.Join(", ", row.Before)}  →  {string.Join(", ", row.After)}");
            }
        }

        output.Flush();
    }
}
