using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansSettlement.Bench.Measure;

/// <summary>
/// The storage and reminder-table operations that took long (at least <see cref="Threshold"/>), as the bench's counting
/// wrappers saw them, for <see cref="TailProbe"/>: a slow checkout that waited on one of them shows it. Recording costs a
/// timestamp per operation; only the slow ones are kept.
/// </summary>
internal static class SlowOperations
{
    public static readonly TimeSpan Threshold = TimeSpan.FromMilliseconds(10);

    private static readonly ConcurrentQueue<(string What, DateTime Start, DateTime End)> Recorded = new();

    /// <summary>Runs <paramref name="operation"/> and records it when it was slow.</summary>
    public static async Task<T> TimeAsync<T>(string what, Func<Task<T>> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var started = Stopwatch.GetTimestamp();
        var at = DateTime.UtcNow;
        try
        {
            return await operation().ConfigureAwait(false);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed >= Threshold)
            {
                Recorded.Enqueue((what, at, at + elapsed));
            }
        }
    }

    /// <summary>Runs <paramref name="operation"/> and records it when it was slow.</summary>
    public static Task TimeAsync(string what, Func<Task> operation) =>
        TimeAsync(what, async () =>
        {
            await operation().ConfigureAwait(false);
            return true;
        });

    /// <summary>Records a slow interval seen by another probe.</summary>
    public static void Add(string what, DateTime start, DateTime end) => Recorded.Enqueue((what, start, end));

    public static void Clear() => Recorded.Clear();

    /// <summary>The slow operations recorded since <see cref="Clear"/>.</summary>
    public static IReadOnlyList<(string What, DateTime Start, DateTime End)> Snapshot() => [.. Recorded];
}
