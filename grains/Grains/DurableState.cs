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
}
