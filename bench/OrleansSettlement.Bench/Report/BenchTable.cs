using Spectre.Console;

namespace OrleansSettlement.Bench.Report;

/// <summary>The bench report as tables: the headline figures per storage mode, the writes per checkout by grain type, the
/// phases, the hot-grain comparison and the targets.</summary>
internal static class BenchTable
{
    public static void Write(BenchReport report, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(console);
        var modes = report.Modes.Values.ToList();
        if (modes.Count > 0)
        {
            var headline = new Table().Title("Group checkouts: " + Markup.Escape(modes[0].Layout)).AddColumn("figure");
            foreach (var mode in modes)
            {
                headline.AddColumn(new TableColumn(mode.Storage).RightAligned());
            }

            void Row(string name, Func<ModeReport, string> value) => headline.AddRow([Markup.Escape(name), .. modes.Select(m => Markup.Escape(value(m)))]);
            Row("settled checkouts/s (saturating)", m => BenchCommand.Number(m.CheckoutsPerSecond));
            Row("S2→S10 p50 ms (half peak)", m => BenchCommand.Number(m.P50Ms, "0.0"));
            Row("S2→S10 p95 ms", m => BenchCommand.Number(m.P95Ms, "0.0"));
            Row("S2→S10 p99 ms", m => BenchCommand.Number(m.P99Ms, "0.0"));
            Row("durable writes / checkout", m => BenchCommand.Number(m.WritesPerCheckout));
            Row("ES256 verifications / checkout", m => BenchCommand.Number(m.VerificationsPerCheckout));
            Row("ES256 signs / checkout (service)", m => BenchCommand.Number(m.SignsPerCheckout));
            Row("Key Vault operations / checkout", m => BenchCommand.Number(m.KeyVaultOpsPerCheckout)
                + string.Concat(m.Phases[0].Costs.KeyVaultOpsByOperation.Select(op => $" ({op.Key} {BenchCommand.Number(op.Value)})")));
            Row("grain calls / checkout", m => BenchCommand.Number(m.GrainCallsPerCheckout));
            Row("ES256 verifications/s (all cores)", m => BenchCommand.Number(m.VerificationsPerSecond, "0"));
            Row("raw grain-state writes/s", m => $"{BenchCommand.Number(m.RawWritesPerSecond, "0")} @{m.RawWriteConcurrency}");
            Row("crypto ratio", m => BenchCommand.Number(m.CryptoRatio, "0.000"));
            Row("CPU ms / checkout (process)", m => BenchCommand.Number(m.CpuMsPerCheckout, "0.00"));
            Row("crypto share of that CPU", m => BenchCommand.Number(m.CryptoCpuShare, "0.000"));
            Row("storage ratio", m => BenchCommand.Number(m.StorageRatio, "0.000"));
            console.Write(headline);

            var grains = modes.SelectMany(m => m.WritesByGrain.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var writes = new Table().Title("Durable writes per checkout by grain type").AddColumn("grain");
            foreach (var mode in modes)
            {
                writes.AddColumn(new TableColumn(mode.Storage).RightAligned());
            }

            foreach (var grain in grains)
            {
                writes.AddRow([Markup.Escape(grain), .. modes.Select(m => BenchCommand.Number(m.WritesByGrain.GetValueOrDefault(grain)))]);
            }

            console.Write(writes);

            var sites = modes.SelectMany(m => m.Phases[0].Costs.WritesBySite.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var bySite = new Table().Title("Durable writes per checkout by grain type and the grain method they happen in").AddColumn("grain <- method");
            foreach (var mode in modes)
            {
                bySite.AddColumn(new TableColumn(mode.Storage).RightAligned());
            }

            foreach (var site in sites)
            {
                bySite.AddRow([Markup.Escape(site), .. modes.Select(m => BenchCommand.Number(m.Phases[0].Costs.WritesBySite.GetValueOrDefault(site)))]);
            }

            console.Write(bySite);

            var phases = new Table().Title("Phases").AddColumns("mode", "phase", "offered/s", "started", "settled", "failed", "late", "checkouts/s", "p50", "p95", "p99", "max");
            foreach (var mode in modes)
            {
                foreach (var phase in mode.Phases)
                {
                    AddPhase(phases, mode.Storage, phase);
                }
            }

            console.Write(phases);
        }

        if (report.HotGrains is { } hot)
        {
            var table = new Table().Title($"Hot grains ({hot.Storage}, {BenchCommand.Number(hot.OfferedRate)} checkouts/s offered): ratio {BenchCommand.Number(hot.Ratio, "0.000")}")
                .AddColumns("mode", "phase", "offered/s", "started", "settled", "failed", "late", "checkouts/s", "p50", "p95", "p99", "max");
            AddPhase(table, hot.Storage, hot.Spread);
            AddPhase(table, hot.Storage, hot.Hot);
            console.Write(table);
        }

        if (report.BoundedState is { } bounded)
        {
            var table = new Table().Title($"Bounded state: {bounded.NotesIssued} notes, {bounded.Checkouts} checkouts").AddColumns("grain", "largest state (bytes)");
            foreach (var (grain, bytes) in bounded.LargestStateBytes.OrderByDescending(kv => kv.Value))
            {
                table.AddRow(Markup.Escape(grain), BenchCommand.Number(bytes, "0"));
            }

            table.AddRow("managed memory before / after idle (MB)", $"{bounded.ManagedMemoryBeforeBytes / 1e6:0.0} / {bounded.ManagedMemoryAfterIdleBytes / 1e6:0.0}");
            console.Write(table);
        }

        var targets = new Table().Title("Targets (performance issue)").AddColumns("target", "measured", "met");
        foreach (var target in report.Targets)
        {
            targets.AddRow(Markup.Escape(target.Target), Markup.Escape(target.Measured), target.Met ? "[green]met[/]" : "[red]missed[/]");
        }

        console.Write(targets);
        var load = report.Machine.LoadAverageBefore.Length == 3 ? $"load average {string.Join(' ', report.Machine.LoadAverageBefore)} before, {string.Join(' ', report.Machine.LoadAverageAfter)} after" : "";
        console.MarkupLine(Markup.Escape($"{report.Machine.Cores} cores, {report.Machine.Runtime}, server GC {report.Machine.ServerGc}, {load}; run took {report.DurationSeconds} s. Key Vault: {report.KeyVault}."));
    }

    private static void AddPhase(Table table, string mode, PhaseReport phase) =>
        table.AddRow(
            Markup.Escape(mode), Markup.Escape(phase.Name), phase.OfferedRate is { } r ? BenchCommand.Number(r) : "max", phase.Started.ToString(System.Globalization.CultureInfo.InvariantCulture),
            phase.Settled.ToString(System.Globalization.CultureInfo.InvariantCulture), (phase.Failed + phase.Aborted).ToString(System.Globalization.CultureInfo.InvariantCulture),
            phase.LateStarts.ToString(System.Globalization.CultureInfo.InvariantCulture), BenchCommand.Number(phase.CheckoutsPerSecond),
            BenchCommand.Number(phase.P50Ms, "0.0"), BenchCommand.Number(phase.P95Ms, "0.0"), BenchCommand.Number(phase.P99Ms, "0.0"), BenchCommand.Number(phase.MaxMs, "0.0"));
}
