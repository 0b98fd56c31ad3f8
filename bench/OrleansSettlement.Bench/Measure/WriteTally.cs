using System.Collections.Concurrent;

namespace OrleansSettlement.Bench.Measure;

/// <summary>
/// Durable writes counted at the grain storage provider and the reminder table (by grain type, reminders as one kind),
/// and the largest state written per grain type when sizes are measured. One per silo; read by snapshots.
/// </summary>
internal sealed class WriteTally
{
    private readonly ConcurrentDictionary<string, long> _writes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _largest = new(StringComparer.Ordinal);

    public void Write(string kind) => _writes.AddOrUpdate(kind, 1, (_, n) => n + 1);

    public void Size(string kind, long bytes) => _largest.AddOrUpdate(kind, bytes, (_, n) => Math.Max(n, bytes));

    public Dictionary<string, long> Writes() => new(_writes, StringComparer.Ordinal);

    public Dictionary<string, long> LargestStates() => new(_largest, StringComparer.Ordinal);
}
