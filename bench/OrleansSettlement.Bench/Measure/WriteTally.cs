using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace OrleansSettlement.Bench.Measure;

/// <summary>
/// Durable writes counted at the grain storage provider and the reminder table (by grain type, reminders as one kind),
/// and the largest state written per grain type when sizes are measured. One per silo; read by snapshots.
/// </summary>
internal sealed class WriteTally
{
    private readonly ConcurrentDictionary<string, long> _writes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _largest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _sites = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _calls = new(StringComparer.Ordinal);

    /// <summary>One durable write of <paramref name="kind"/> (a grain type, or reminders), made in the grain method <paramref name="site"/>.</summary>
    public void Write(string kind, string site)
    {
        _writes.AddOrUpdate(kind, 1, (_, n) => n + 1);
        _sites.AddOrUpdate($"{kind} <- {site}", 1, (_, n) => n + 1);
    }

    /// <summary>One call received by the grain method <paramref name="site"/>.</summary>
    public void Call(string site) => Interlocked.Increment(ref _calls.GetOrAdd(site, static _ => new StrongBox<long>()).Value);

    public Dictionary<string, long> Sites() => new(_sites, StringComparer.Ordinal);

    public Dictionary<string, long> Calls() => _calls.ToDictionary(kv => kv.Key, kv => Interlocked.Read(ref kv.Value.Value), StringComparer.Ordinal);

    public void Size(string kind, long bytes) => _largest.AddOrUpdate(kind, bytes, (_, n) => Math.Max(n, bytes));

    public Dictionary<string, long> Writes() => new(_writes, StringComparer.Ordinal);

    public Dictionary<string, long> LargestStates() => new(_largest, StringComparer.Ordinal);

    /// <summary>Forgets the largest states recorded (before a phase).</summary>
    public void ClearSizes() => _largest.Clear();
}
