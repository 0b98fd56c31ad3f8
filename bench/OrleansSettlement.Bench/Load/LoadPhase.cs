using System.Diagnostics;
using OrleansSettlement.Bench.Hosting;

namespace OrleansSettlement.Bench.Load;

/// <summary>What one phase offered: arrivals at <see cref="Rate"/> per second (open loop), or, when it is null, as fast as
/// the in-flight cap allows (the saturating load); never more than <see cref="MaxInFlight"/> at once.</summary>
internal sealed record PhasePlan(string Name, double? Rate, int MaxInFlight, TimeSpan Duration);

/// <summary>What a phase saw, before costs are attached.</summary>
internal sealed record PhaseOutcome(PhasePlan Plan, IReadOnlyList<CheckoutSample> Samples, int LateStarts, bool RanOutOfNotes, TimeSpan Window)
{
    public int Settled => Samples.Count(s => s.End == CheckoutEnd.Settled);

    public int Aborted => Samples.Count(s => s.End == CheckoutEnd.Aborted);

    public int Failed => Samples.Count(s => s.End is null);

    /// <summary>When the first arrival was due (a <see cref="Stopwatch"/> timestamp).</summary>
    public long StartedAt { get; init; }

    /// <summary>
    /// Settled checkouts per second in the window, counted from the first one that settled to the window's end (so the
    /// first latency after the start, when nothing can have settled yet, does not dilute the rate); the drain after the
    /// window is not counted.
    /// </summary>
    public double CheckoutsPerSecond
    {
        get
        {
            var end = StartedAt + (long)(Window.TotalSeconds * Stopwatch.Frequency);
            var settled = Samples.Where(s => s.End == CheckoutEnd.Settled).Select(s => s.EndedAt).Order().ToList();
            if (settled.Count == 0)
            {
                return 0;
            }

            var inWindow = settled.Count(t => t <= end);
            var span = (double)(end - settled[0]) / Stopwatch.Frequency;
            return inWindow >= 2 && span > 0
                ? (inWindow - 1) / span
                : settled.Count / ((double)(settled[^1] - StartedAt) / Stopwatch.Frequency);
        }
    }
}

/// <summary>
/// An open-loop load: checkout i is due at start + i / rate whatever happened to the earlier ones (a slow service
/// does not slow the arrivals, as it would in a closed loop), up to the duration; an arrival finding
/// <see cref="PhasePlan.MaxInFlight"/> checkouts under way waits for one to end and is counted late. Then every
/// started checkout is awaited (the drain), so the phase's costs cover whole checkouts. An interrupt ends the phase at
/// once with <see cref="OperationCanceledException"/>, drain included.
/// </summary>
internal static class LoadPhase
{
    public static async Task<PhaseOutcome> RunAsync(PhasePlan plan, int prepared, Func<int, Task<CheckoutSample>> checkout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(checkout);
        using var slots = new SemaphoreSlim(plan.MaxInFlight, plan.MaxInFlight);
        var running = new List<Task<CheckoutSample>>();
        var late = 0;
        var start = Stopwatch.GetTimestamp();
        var index = 0;
        for (; index < prepared && !ct.IsCancellationRequested; index++)
        {
            if (plan.Rate is { } rate)
            {
                var due = TimeSpan.FromSeconds(index / rate);
                if (due >= plan.Duration)
                {
                    break;
                }

                var wait = due - Stopwatch.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }
            }
            else if (Stopwatch.GetElapsedTime(start) >= plan.Duration)
            {
                break;
            }

            if (!slots.Wait(0))
            {
                if (plan.Rate is not null)
                {
                    late++;
                }

                await slots.WaitAsync(ct).ConfigureAwait(false);
                if (plan.Rate is null && Stopwatch.GetElapsedTime(start) >= plan.Duration)
                {
                    slots.Release();
                    break;
                }
            }

            var i = index;
            running.Add(Task.Run(async () =>
            {
                try
                {
                    return await checkout(i).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None));
        }

        // An interrupt does not wait for the drain: checkouts under way may each wait out their outcome timeout.
        ct.ThrowIfCancellationRequested();
        var ranOut = index >= prepared && Stopwatch.GetElapsedTime(start) < plan.Duration;
        var samples = await Task.WhenAll(running).WaitAsync(ct).ConfigureAwait(false);
        var window = Stopwatch.GetElapsedTime(start);
        return new PhaseOutcome(plan, samples, late, ranOut, ranOut ? window : plan.Duration)
        {
            StartedAt = start,
        };
    }
}
