using Azure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace OrleansSettlement.Chaos.Faults;

/// <summary>
/// A grain storage decorator, registered only in chaos silos (<see cref="FaultyGrainStorage.Decorate"/>), that faults the
/// reads and writes of the grains a <see cref="FaultBoard"/> names: an ETag conflict or a 503 before the write reaches
/// storage, a timeout after it landed (the caller cannot tell whether it did), and added latency. The real Azure
/// Table storage does the rest.
/// </summary>
public sealed class FaultyGrainStorage(IGrainStorage inner, FaultBoard board) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Replaces the named grain storage <paramref name="name"/> in <paramref name="services"/> by this decorator
    /// around it (call after the provider is registered).</summary>
    public static void Decorate(IServiceCollection services, string name, FaultBoard board)
    {
        ArgumentNullException.ThrowIfNull(services);
        var original = services.LastOrDefault(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name))
            ?? throw new InvalidOperationException($"no grain storage named '{name}' is registered.");
        var factory = original.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"the grain storage '{name}' is not registered by a factory.");
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => new FaultyGrainStorage((IGrainStorage)factory(sp, key), board));
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var faults = board.For(grainId.Key.ToString()!);
        if (faults is not null)
        {
            await Delay(faults).ConfigureAwait(false);
            if (faults.Draw(faults.Storage.Unavailable))
            {
                faults.Count(FaultKind.StorageUnavailable);
                faults.History.Add($"storage fault: 503 reading {stateName} of {grainId}");
                throw new RequestFailedException(503, $"chaos: storage unavailable reading {stateName} of {grainId}");
            }
        }

        await inner.ReadStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var faults = board.For(grainId.Key.ToString()!);
        if (faults is null)
        {
            await inner.WriteStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
            return;
        }

        await Delay(faults).ConfigureAwait(false);
        if (faults.Draw(faults.Storage.Conflict))
        {
            faults.Count(FaultKind.StorageConflict);
            faults.History.Add($"storage fault: ETag conflict writing {stateName} of {grainId} (not written)");
            throw new InconsistentStateException($"chaos: ETag conflict writing {stateName} of {grainId}");
        }

        if (faults.Draw(faults.Storage.Unavailable))
        {
            faults.Count(FaultKind.StorageUnavailable);
            faults.History.Add($"storage fault: 503 writing {stateName} of {grainId} (not written)");
            throw new RequestFailedException(503, $"chaos: storage unavailable writing {stateName} of {grainId}");
        }

        await inner.WriteStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
        if (faults.Draw(faults.Storage.TimeoutAfterWrite))
        {
            faults.Count(FaultKind.StorageTimeoutAfterWrite);
            faults.History.Add($"storage fault: timeout after the write of {stateName} of {grainId} landed");
            throw new TimeoutException($"chaos: the write of {stateName} of {grainId} landed but its answer was lost");
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var faults = board.For(grainId.Key.ToString()!);
        if (faults is not null)
        {
            await Delay(faults).ConfigureAwait(false);
        }

        await inner.ClearStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
    }

    /// <summary>The Azure provider creates its table when the silo starts: pass its lifecycle through.</summary>
    public void Participate(ISiloLifecycle lifecycle)
    {
        if (inner is ILifecycleParticipant<ISiloLifecycle> participant)
        {
            participant.Participate(lifecycle);
        }
    }

    private static async Task Delay(ScenarioFaults faults)
    {
        if (faults.Storage.MaxLatencyMs > 0 && faults.Draw(faults.Storage.Latency))
        {
            faults.Count(FaultKind.StorageLatency);
            await Task.Delay(faults.Next(1, faults.Storage.MaxLatencyMs)).ConfigureAwait(false);
        }
    }
}
