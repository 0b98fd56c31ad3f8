using OrleansSettlement.Bench.Measure;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>Wraps the silo's reminder table and counts its durable writes (upserts and removals) by the grain type that owns
/// the reminder, in either storage mode.</summary>
internal sealed class CountingReminderTable(IReminderTable inner, WriteTally tally) : IReminderTable
{
    public const string Kind = "(reminders)";

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => inner.StopAsync(cancellationToken);

    public Task<ReminderTableData> ReadRows(GrainId grainId) => SlowOperations.TimeAsync("reminders read grain", () => inner.ReadRows(grainId));

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => SlowOperations.TimeAsync("reminders read range", () => inner.ReadRows(begin, end));

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => SlowOperations.TimeAsync("reminders read row", () => inner.ReadRow(grainId, reminderName));

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var etag = await SlowOperations.TimeAsync("reminders upsert", () => inner.UpsertRow(entry)).ConfigureAwait(false);
        tally.Write(Kind, $"{entry.GrainId.Type} register");
        return etag;
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        var removed = await SlowOperations.TimeAsync("reminders remove", () => inner.RemoveRow(grainId, reminderName, eTag)).ConfigureAwait(false);
        tally.Write(Kind, $"{grainId.Type} unregister");
        return removed;
    }

    public Task TestOnlyClearTable() => inner.TestOnlyClearTable();
}
