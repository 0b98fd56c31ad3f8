using OrleansSettlement.Contracts;

namespace OrleansSettlement.Service.Tests.Grains;

/// <summary>A test-only grain that keeps one value in the settlement grain storage.</summary>
[Alias("OrleansSettlement.Service.Tests.IStorageProbeGrain")]
public interface IStorageProbeGrain : IGrainWithStringKey
{
    [Alias("Set")]
    Task SetAsync(string value);

    [Alias("Get")]
    Task<string?> GetAsync();

    /// <summary>Asks Orleans to deactivate this grain once the call returns.</summary>
    [Alias("Deactivate")]
    Task DeactivateAsync();

    /// <summary>An id that changes with every activation.</summary>
    [Alias("GetActivationId")]
    Task<Guid> GetActivationIdAsync();
}

[GenerateSerializer]
[Alias("OrleansSettlement.Service.Tests.StorageProbeState")]
public sealed class StorageProbeState
{
    [Id(0)]
    public string? Value { get; set; }
}

public sealed class StorageProbeGrain(
    [PersistentState("probe", StorageNames.GrainState)] IPersistentState<StorageProbeState> state) : Grain, IStorageProbeGrain
{
    private readonly Guid _activationId = Guid.NewGuid();

    public async Task SetAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync().ConfigureAwait(true);
    }

    public Task<string?> GetAsync() => Task.FromResult(state.State.Value);

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task<Guid> GetActivationIdAsync() => Task.FromResult(_activationId);
}
