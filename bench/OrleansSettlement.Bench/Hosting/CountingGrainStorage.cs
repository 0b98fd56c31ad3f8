using Orleans.Storage;
using OrleansSettlement.Bench.Measure;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>
/// Wraps the silo's grain storage provider and counts every durable write (write and clear) by grain type, whatever the
/// storage behind it (Azure Table on Azurite, or Orleans memory storage, which has no HTTP pipeline to count at). With
/// <see cref="MeasureSizes"/> it also records the largest serialized state per grain type: of every write in the
/// bounded-state mode, of one write in <see cref="SizeSampling"/> with <c>--tail</c>.
/// </summary>
internal sealed class CountingGrainStorage(IGrainStorage inner, IGrainStorageSerializer serializer, WriteTally tally)
    : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private static long _written;
    private int _participated;

    /// <summary>Serialize written states once more to record their size (costs CPU; off for throughput runs).</summary>
    public static bool MeasureSizes { get; set; }

    /// <summary>With <see cref="MeasureSizes"/>, measure one write in this many (1: every write).</summary>
    public static int SizeSampling { get; set; } = 1;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        SlowOperations.TimeAsync("state read", () => inner.ReadStateAsync(stateName, grainId, grainState));

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        await SlowOperations.TimeAsync("state write", () => inner.WriteStateAsync(stateName, grainId, grainState)).ConfigureAwait(false);
        var type = grainId.Type.ToString() ?? "(unknown)";
        tally.Write(type, CallSites.Current);
        if (MeasureSizes && (SizeSampling <= 1 || Interlocked.Increment(ref _written) % SizeSampling == 0))
        {
            tally.Size(type, serializer.Serialize(grainState.State).ToMemory().Length);
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await inner.ClearStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
        tally.Write(grainId.Type.ToString() ?? "(unknown)", CallSites.Current);
    }

    /// <summary>Joins the silo lifecycle for the wrapped provider (once: every registration that resolves the provider by
    /// name reaches this wrapper).</summary>
    public void Participate(ISiloLifecycle lifecycle)
    {
        if (inner is ILifecycleParticipant<ISiloLifecycle> participant && Interlocked.Exchange(ref _participated, 1) == 0)
        {
            participant.Participate(lifecycle);
        }
    }
}
