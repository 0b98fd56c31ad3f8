using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Diagnostics;
using OrleansSettlement.Silo.Diagnostics;

namespace OrleansSettlement.Bench.Measure;

/// <summary>
/// Listens to the service's own instrumentation for the whole run: storage requests at the Azure SDK pipeline (meter
/// <c>OrleansSettlement.Storage</c>), ES256 verifications and signs (<see cref="ProtocolMetrics"/>, split into the
/// service's and the simulated apps' by <see cref="AppSide"/>), calls received by the service's grains
/// (<see cref="GrainCallMetrics"/>) and Key Vault operations (activities of the Key Vault client). Phases read
/// <see cref="Snapshot"/> before and after and take the difference.
/// </summary>
internal sealed class BenchCounters : IDisposable
{
    public const string StorageWrites = "storage.writes";
    public const string StorageGrainStateWrites = "storage.writes.grainState";
    public const string StorageReminderWrites = "storage.writes.reminders";
    public const string StorageMembershipWrites = "storage.writes.membership";
    public const string StorageReadPrefix = "storage.reads.";
    public const string Verifications = "verifications";
    public const string Signs = "signs";
    public const string AppVerifications = "app.verifications";
    public const string AppSigns = "app.signs";
    public const string GrainCalls = "grainCalls";
    public const string GrainCallPrefix = "grainCalls.";
    public const string KeyVaultOps = "keyVaultOps";
    public const string KeyVaultOpPrefix = "keyVaultOps.";

    /// <summary>The storage meter's name (its class is compiled into both hosts, so it is named here by string).</summary>
    private const string StorageMeterName = "OrleansSettlement.Storage";

    private const string KeyVaultSourceName = "OrleansSettlement.KeyVault";

    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _totals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _callKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _readKeys = new(StringComparer.Ordinal);

    public BenchCounters()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name is StorageMeterName or ProtocolMetrics.MeterName or GrainCallMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>(OnMeasurement);
        _meters.Start();

        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KeyVaultSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStarted = activity =>
            {
                // One activity per operation (KeyVaultKeysClient.GetKey, KeyVaultKeysClient.Sign), retries inside it.
                Add(KeyVaultOps, 1);
                Add(KeyVaultOpPrefix + activity.OperationName[(activity.OperationName.LastIndexOf('.') + 1)..], 1);
            },
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public IReadOnlyDictionary<string, long> Snapshot() => _totals.ToDictionary(kv => kv.Key, kv => Interlocked.Read(ref kv.Value.Value), StringComparer.Ordinal);

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }

    /// <summary><paramref name="after"/> minus <paramref name="before"/>, key by key.</summary>
    public static Dictionary<string, long> Difference(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var difference = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in after)
        {
            var delta = value - before.GetValueOrDefault(key);
            if (delta != 0)
            {
                difference[key] = delta;
            }
        }

        return difference;
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch (instrument.Name)
        {
            case "osettle.signature.verifications":
                Add(AppSide.Active ? AppVerifications : Verifications, value);
                break;
            case "osettle.signature.signs":
                Add(AppSide.Active ? AppSigns : Signs, value);
                break;
            case "osettle.grain.calls":
                Add(GrainCalls, value);
                Add(_callKeys.GetOrAdd(Tag(tags, "interface"), static name => GrainCallPrefix + name), value);
                break;
            case "osettle.storage.writes":
                var table = Tag(tags, "table");
                Add(StorageWrites, value);
                Add(table switch
                {
                    StorageNames.GrainStateTable => StorageGrainStateWrites,
                    StorageNames.RemindersTable => StorageReminderWrites,
                    StorageNames.MembershipTable => StorageMembershipWrites,
                    _ => StorageWrites + "." + table,
                }, value);
                break;
            case "osettle.storage.reads":
                Add(_readKeys.GetOrAdd(Tag(tags, "table"), static name => StorageReadPrefix + name), value);
                break;
            default:
                break;
        }
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value?.ToString() ?? "";
            }
        }

        return "";
    }

    private void Add(string key, long value) => Interlocked.Add(ref _totals.GetOrAdd(key, static _ => new StrongBox<long>()).Value, value);
}
