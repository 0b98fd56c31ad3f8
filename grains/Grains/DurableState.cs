namespace OrleansSettlement.Grains;

/// <summary>The one rule every grain follows when it persists: memory never runs ahead of storage.</summary>
internal static class DurableState
{
    /// <summary>
    /// Writes the state. When the write fails, what the row holds is unknown (the write may or may not have landed), so
    /// the state is read back from storage; if that fails too, the activation is dropped and the next one reads the row.
    /// The write's exception is rethrown either way, so the caller's operation fails and is retried as a whole.
    /// </summary>
    public static async Task WriteOrReloadAsync<T>(this IPersistentState<T> state, IGrainBase grain)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(grain);
        try
        {
            await state.WriteStateAsync().ConfigureAwait(true);
        }
        catch
        {
            try
            {
                await state.ReadStateAsync().ConfigureAwait(true);
            }
            catch (Exception reloadFailure) when (reloadFailure is not OutOfMemoryException)
            {
                grain.DeactivateOnIdle();
            }

            throw;
        }
    }

    /// <summary>
    /// Reads the row again before an answer that rests on something this activation does not hold ("you lead no such
    /// agreement", "no agreement yet"). Orleans' default grain directory is eventually consistent: while the cluster
    /// recovers from a dead silo it can, rarely and briefly, run a second activation of a grain. Storage ETags keep the
    /// two from writing over each other (the stale one's write fails and reloads), but a refusal given without a write
    /// would come from the stale activation's memory. True when the row changed since this activation last read or wrote
    /// it, so that the caller decides again from the fresh state; false when it did not (the caller's answer stands).
    /// When the row cannot be read, the read's exception propagates: the caller's operation fails and is retried, rather
    /// than refused from a memory nobody could confirm.
    /// </summary>
    public static async Task<bool> RefreshAsync<T>(this IPersistentState<T> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var held = state.Etag;
        await state.ReadStateAsync().ConfigureAwait(true);
        return !string.Equals(held, state.Etag, StringComparison.Ordinal);
    }
}
