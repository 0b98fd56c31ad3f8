namespace OrleansSettlement.Bench.Measure;

/// <summary>
/// Marks the simulated partner apps' own crypto (their acceptances, requests and responses), which runs in the bench
/// process beside the silo, so that the counters can tell it from the service's: the flag flows with the async context
/// of the app code that sets it and never into a grain's turn.
/// </summary>
internal static class AppSide
{
    private static readonly AsyncLocal<bool> Flag = new();

    public static bool Active => Flag.Value;

    /// <summary>Runs <paramref name="body"/> as app code.</summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var before = Flag.Value;
        Flag.Value = true;
        try
        {
            return await body().ConfigureAwait(false);
        }
        finally
        {
            Flag.Value = before;
        }
    }
}
