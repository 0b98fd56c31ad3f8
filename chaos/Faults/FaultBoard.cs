using System.Collections.Concurrent;

namespace OrleansSettlement.Chaos.Faults;

/// <summary>The kinds of fault the runner injects, as counted in its report.</summary>
public enum FaultKind
{
    /// <summary>A grain state write refused with an ETag conflict before it reached storage.</summary>
    StorageConflict,

    /// <summary>A grain state read or write failed with HTTP 503 before it reached storage.</summary>
    StorageUnavailable,

    /// <summary>A grain state write that landed, whose answer was lost (the caller sees a timeout).</summary>
    StorageTimeoutAfterWrite,

    /// <summary>Latency added to a grain state read or write.</summary>
    StorageLatency,

    /// <summary>A grain-to-grain call sent again later (duplicated and reordered with what follows it).</summary>
    DuplicatedGrainCall,

    /// <summary>A client call sent twice at once, or again after it failed, with the same content (the idempotency key).</summary>
    ClientRetry,

    /// <summary>A silo killed without a graceful stop (and started again later).</summary>
    SiloKill,

    /// <summary>A payer that stopped answering in the middle of the challenge.</summary>
    VanishedPayer,

    /// <summary>Azurite stopped and started again on its durable data under the running cluster.</summary>
    AzuriteRestart,
}

/// <summary>
/// Which faults hit which grains, shared by every chaos silo: each scenario registers the key prefix of its parties
/// (and the agreement ids and wallet ids it makes) with its own <see cref="ScenarioFaults"/>, so the storage decorator
/// and the call filter fault only that scenario's grains, only while its fault window is open. Grains of no scenario are
/// never faulted.
/// </summary>
public sealed class FaultBoard
{
    /// <summary>The length of a scenario's key prefix: 'x', six digits and '-' (see <see cref="ScenarioPrefix"/>).</summary>
    public const int PrefixLength = 8;

    private readonly ConcurrentDictionary<string, ScenarioFaults> _byKey = new(StringComparer.Ordinal);

    /// <summary>The prefix of every name scenario <paramref name="index"/> makes (institutions, stores, accounts, checkouts).</summary>
    public static string ScenarioPrefix(int index) => $"x{index:D6}-";

    /// <summary>Registers <paramref name="key"/> (a scenario prefix, an agreement id or a wallet id) with <paramref name="faults"/>.</summary>
    public void Register(string key, ScenarioFaults faults) => _byKey[key] = faults;

    /// <summary>Forgets every key of <paramref name="faults"/> (the scenario is over).</summary>
    public void Unregister(ScenarioFaults faults)
    {
        foreach (var pair in _byKey.Where(p => ReferenceEquals(p.Value, faults)).ToList())
        {
            _byKey.TryRemove(pair);
        }
    }

    /// <summary>The faults of the scenario that owns the grain with <paramref name="grainKey"/>, when its window is open.</summary>
    public ScenarioFaults? For(string grainKey) => Owner(grainKey) is { Active: true } faults ? faults : null;

    /// <summary>Adds <paramref name="what"/> to the history of every scenario registered now (a cluster fault hits them all).</summary>
    public void RecordForAll(string what)
    {
        foreach (var faults in _byKey.Values.Distinct())
        {
            faults.History.Add(what);
        }
    }

    /// <summary>The scenario that owns the grain with <paramref name="grainKey"/>, whether or not its window is open (until
    /// it ends and unregisters).</summary>
    public ScenarioFaults? Owner(string grainKey)
    {
        if (string.IsNullOrEmpty(grainKey) || _byKey.IsEmpty)
        {
            return null;
        }

        // A scenario's names by their prefix; else an agreement or wallet id it registered (whole, or before '|' in a
        // composite key). A wallet id may look like a prefix by chance, so both are tried.
        ScenarioFaults? faults = null;
        if (grainKey.Length >= PrefixLength && grainKey[0] == 'x' && grainKey[PrefixLength - 1] == '-')
        {
            _byKey.TryGetValue(grainKey[..PrefixLength], out faults);
        }

        if (faults is null)
        {
            var separator = grainKey.IndexOf('|', StringComparison.Ordinal);
            _byKey.TryGetValue(separator < 0 ? grainKey : grainKey[..separator], out faults);
        }

        return faults;
    }
}

/// <summary>
/// One scenario's fault profile (drawn from its seed) and its counts of what was injected. The rates apply while
/// <see cref="Active"/>; decisions draw from a random generator seeded by the scenario, so the profile replays with the
/// seed (which call each fault hits depends on thread timing, which no seed fixes).
/// </summary>
public sealed class ScenarioFaults
{
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<FaultKind, int> _counts = new();
    private volatile bool _active;

    public ScenarioFaults(int seed, StorageFaultRates storage, double duplicateRate, int maxReorderDelayMs)
    {
        _random = new Random(seed);
        Storage = storage;
        DuplicateRate = duplicateRate;
        MaxReorderDelayMs = maxReorderDelayMs;
    }

    public StorageFaultRates Storage { get; }

    /// <summary>The chance that a grain-to-grain call of this scenario is sent again later.</summary>
    public double DuplicateRate { get; }

    /// <summary>The longest a duplicated call waits before it is sent again (so later calls overtake it).</summary>
    public int MaxReorderDelayMs { get; }

    /// <summary>Whether the fault window is open.</summary>
    public bool Active
    {
        get => _active;
        set => _active = value;
    }

    /// <summary>What happened to the scenario's grains, written out when it fails.</summary>
    public ScenarioHistory History { get; } = new();

    /// <summary>How many faults of each kind hit this scenario.</summary>
    public IReadOnlyDictionary<FaultKind, int> Counts => _counts;

    public int Total => _counts.Values.Sum();

    public void Count(FaultKind kind) => _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);

    /// <summary>True with probability <paramref name="rate"/>.</summary>
    public bool Draw(double rate)
    {
        if (rate <= 0)
        {
            return false;
        }

        lock (_gate)
        {
            return _random.NextDouble() < rate;
        }
    }

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public int Next(int min, int max)
    {
        lock (_gate)
        {
            return _random.Next(min, max);
        }
    }
}

/// <summary>The chances that one grain state operation of a scenario is faulted, by kind.</summary>
public sealed record StorageFaultRates(double Conflict, double Unavailable, double TimeoutAfterWrite, double Latency, int MaxLatencyMs)
{
    public static readonly StorageFaultRates None = new(0, 0, 0, 0, 0);
}
