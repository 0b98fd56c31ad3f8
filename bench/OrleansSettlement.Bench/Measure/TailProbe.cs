using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using OrleansSettlement.Bench.Load;
using OrleansSettlement.Bench.Report;
using OrleansSettlement.Grains.Diagnostics;

namespace OrleansSettlement.Bench.Measure;

/// <summary>
/// Explains where the slow checkouts of a phase spent their time (<c>settle bench --tail</c>): listens to the checkout's
/// step spans (<see cref="CheckoutTelemetry"/>: one trace per checkout, a span per step S2..S10 wherever it runs) and to
/// the runtime's garbage-collection pauses, then compares the slowest 5% of checkouts with all of them: time in each
/// step, time when no step of the checkout ran anywhere (a message or a turn waiting in a queue, a timer, the apps),
/// the longest such wait and the step it preceded, retry ticks, and the GC pauses that overlapped the checkout.
/// </summary>
/// <remarks>Off by default: listening makes every step a span and every checkout store its traceparent, which costs a
/// little CPU and state. Times are UTC <see cref="DateTime"/>s from <see cref="Activity.StartTimeUtc"/> (a high-resolution
/// clock) and the bench's own submit time.</remarks>
internal sealed class TailProbe : IDisposable
{
    /// <summary>The share of slowest checkouts explained.</summary>
    public const double SlowShare = 0.05;

    private readonly ActivityListener _listener;
    private readonly GcPauses _gc = new();
    private readonly ConcurrentDictionary<ActivityTraceId, ConcurrentQueue<Span>> _spans = new();
    private readonly ConcurrentDictionary<string, ActivityTraceId> _traces = new(StringComparer.Ordinal);

    private readonly Thread _ticker;
    private volatile bool _stopped;

    public TailProbe()
    {
        // Every 5 ms a dedicated thread notes how late it woke (the OS or a GC suspension kept the process from running)
        // and queues a work item that notes how long the thread pool took to start it.
        _ticker = new Thread(Tick) { IsBackground = true, Name = "bench tail ticker" };
        _ticker.Start();
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CheckoutTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Record,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Forgets what was recorded (before a phase).</summary>
    public void Clear()
    {
        _spans.Clear();
        _traces.Clear();
        _gc.Clear();
        _allocatedAtClear = GC.GetTotalAllocatedBytes();
        SlowOperations.Clear();
    }

    private long _allocatedAtClear;

    /// <summary>The explanation of the slowest <see cref="SlowShare"/> of the settled <paramref name="samples"/>.</summary>
    public TailReport Explain(IReadOnlyList<CheckoutSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var pauses = _gc.Pauses();
        var settled = samples.Where(s => s.End == Hosting.CheckoutEnd.Settled && s.CheckoutId is not null).OrderBy(s => s.LatencyMs).ToList();
        var profiles = settled.Select(s => Profile(s, pauses)).ToList();
        var slowCount = Math.Max(1, (int)Math.Ceiling(settled.Count * SlowShare));
        var slow = profiles.TakeLast(Math.Min(slowCount, profiles.Count)).ToList();
        var heap = GC.GetGCMemoryInfo();
        return new TailReport(
            profiles.Count,
            slow.Count,
            slow.Count == 0 ? 0 : Math.Round(slow[0].LatencyMs, 1),
            Summarize(slow),
            Summarize(profiles),
            pauses.Count,
            Math.Round(pauses.Sum(p => p.Duration.TotalMilliseconds), 1),
            Math.Round(pauses.Select(p => p.Duration.TotalMilliseconds).DefaultIfEmpty().Max(), 1),
            new SortedDictionary<string, int>(pauses.GroupBy(p => "gen" + p.Generation).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
            [.. slow.TakeLast(5).Reverse().Select(p => p.Timeline)])
        {
            SlowOverlappingGc = slow.Count(p => p.GcOverlapMs > 0),
            AllOverlappingGc = profiles.Count(p => p.GcOverlapMs > 0),
            AllocatedMbPerCheckout = samples.Count == 0 ? 0 : Math.Round((GC.GetTotalAllocatedBytes() - _allocatedAtClear) / 1e6 / samples.Count, 2),
            HeapMb = Math.Round(heap.HeapSizeBytes / 1e6, 1),
            TopAllocations = _gc.TopAllocations(15),
            SlowStorageOperations = SlowOps(slow),
            Pauses = [.. pauses.OrderByDescending(p => p.Duration).Take(20).Select(p => $"gen{p.Generation} {p.Duration.TotalMilliseconds:0.0} ms")],
        };
    }

    public void Dispose()
    {
        _stopped = true;
        _ticker.Join();
        _listener.Dispose();
        _gc.Dispose();
    }

    private void Tick()
    {
        var period = TimeSpan.FromMilliseconds(5);
        while (!_stopped)
        {
            var slept = Stopwatch.GetTimestamp();
            var at = DateTime.UtcNow;
            Thread.Sleep(period);
            var late = Stopwatch.GetElapsedTime(slept) - period;
            if (late >= SlowOperations.Threshold)
            {
                SlowOperations.Add("ticker thread woke late", at + period, at + period + late);
            }

            var queued = Stopwatch.GetTimestamp();
            var queuedAt = DateTime.UtcNow;
            ThreadPool.UnsafeQueueUserWorkItem(
                _ =>
                {
                    var waited = Stopwatch.GetElapsedTime(queued);
                    if (waited >= SlowOperations.Threshold)
                    {
                        SlowOperations.Add("thread pool started a work item late", queuedAt, queuedAt + waited);
                    }
                },
                null);
        }
    }

    private void Record(Activity activity)
    {
        if (activity.OperationName == CheckoutTelemetry.RootSpanName)
        {
            if (activity.GetTagItem(CheckoutTelemetry.CheckoutIdAttribute) is string checkoutId)
            {
                _traces[checkoutId] = activity.TraceId;
            }

            return;
        }

        var where = activity.GetTagItem(CheckoutTelemetry.InstitutionAttribute) as string;
        _spans.GetOrAdd(activity.TraceId, _ => new ConcurrentQueue<Span>())
            .Enqueue(new Span(activity.OperationName, where, activity.StartTimeUtc, activity.StartTimeUtc + activity.Duration));
    }

    private CheckoutProfile Profile(CheckoutSample sample, IReadOnlyList<GcPause> pauses)
    {
        var from = sample.SubmittedUtc;
        var to = from + TimeSpan.FromMilliseconds(sample.LatencyMs);
        var spans = _traces.TryGetValue(sample.CheckoutId!, out var trace) && _spans.TryGetValue(trace, out var queue)
            ? queue.Where(s => s.End > from && s.Start < to).Select(s => s.Clip(from, to)).OrderBy(s => s.Start).ToList()
            : [];

        // Time per step name (the union of its spans), and the waits when no step of this checkout ran.
        var byStep = spans.GroupBy(s => s.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Union(g.ToList()).TotalMilliseconds, StringComparer.Ordinal);
        var idle = 0.0;
        var longest = 0.0;
        var before = "(end)";
        var covered = from;
        foreach (var span in spans)
        {
            if (span.Start > covered)
            {
                var gap = (span.Start - covered).TotalMilliseconds;
                idle += gap;
                if (gap > longest)
                {
                    longest = gap;
                    before = span.Label;
                }
            }

            covered = span.End > covered ? span.End : covered;
        }

        if (to > covered)
        {
            var gap = (to - covered).TotalMilliseconds;
            idle += gap;
            if (gap > longest)
            {
                longest = gap;
                before = "(end)";
            }
        }

        var gc = pauses.Sum(p => Overlap(p.Start, p.End, from, to).TotalMilliseconds);
        var retries = spans.Count(s => s.Name == Steps.Tick);
        var timeline = string.Join(" ", spans.Select(s => $"{s.Label}@{(s.Start - from).TotalMilliseconds:0}+{(s.End - s.Start).TotalMilliseconds:0}"));
        return new CheckoutProfile(sample.LatencyMs, byStep, idle, longest, before, retries, gc, from, to,
            $"{sample.CheckoutId} {sample.LatencyMs:0} ms (gc {gc:0} ms): {timeline}");
    }

    /// <summary>The storage and reminder operations of at least 10 ms, by kind, with how many overlapped a slow checkout.</summary>
    private static IReadOnlyList<string> SlowOps(List<CheckoutProfile> slow)
    {
        var ops = SlowOperations.Snapshot();
        return [.. ops.GroupBy(o => o.What).OrderByDescending(g => g.Count()).Select(g =>
        {
            var durations = g.Select(o => (o.End - o.Start).TotalMilliseconds).Order().ToList();
            var overlapping = g.Count(o => slow.Any(p => o.Start < p.To && o.End > p.From));
            return $"{g.Key}: {g.Count()} ≥10 ms, max {durations[^1]:0} ms, {overlapping} during a slowest checkout";
        })];
    }

    private static TailProfile Summarize(List<CheckoutProfile> profiles)
    {
        if (profiles.Count == 0)
        {
            return new TailProfile(0, new SortedDictionary<string, double>(StringComparer.Ordinal), 0, 0, new SortedDictionary<string, int>(StringComparer.Ordinal), 0, 0);
        }

        double Mean(Func<CheckoutProfile, double> value) => Math.Round(profiles.Average(value), 1);
        var steps = profiles.SelectMany(p => p.StepMs.Keys).Distinct(StringComparer.Ordinal)
            .ToDictionary(k => k, k => Mean(p => p.StepMs.GetValueOrDefault(k)), StringComparer.Ordinal);
        return new TailProfile(
            Mean(p => p.LatencyMs),
            new SortedDictionary<string, double>(steps, StringComparer.Ordinal),
            Mean(p => p.IdleMs),
            Mean(p => p.LongestWaitMs),
            new SortedDictionary<string, int>(profiles.GroupBy(p => p.LongestWaitBefore).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal),
            Math.Round(profiles.Average(p => p.RetryTicks), 2),
            Mean(p => p.GcOverlapMs));
    }

    private static TimeSpan Union(List<Span> spans)
    {
        var total = TimeSpan.Zero;
        var end = DateTime.MinValue;
        foreach (var span in spans.OrderBy(s => s.Start))
        {
            var start = span.Start > end ? span.Start : end;
            if (span.End > start)
            {
                total += span.End - start;
                end = span.End;
            }
        }

        return total;
    }

    private static TimeSpan Overlap(DateTime aStart, DateTime aEnd, DateTime bStart, DateTime bEnd)
    {
        var start = aStart > bStart ? aStart : bStart;
        var end = aEnd < bEnd ? aEnd : bEnd;
        return end > start ? end - start : TimeSpan.Zero;
    }

    private sealed record Span(string Name, string? Where, DateTime Start, DateTime End)
    {
        public string Label => Where is null ? Name : $"{Name}/{Where}";

        public Span Clip(DateTime from, DateTime to) => this with { Start = Start < from ? from : Start, End = End > to ? to : End };
    }

    private sealed record CheckoutProfile(
        double LatencyMs, Dictionary<string, double> StepMs, double IdleMs, double LongestWaitMs, string LongestWaitBefore, int RetryTicks, double GcOverlapMs,
        DateTime From, DateTime To, string Timeline);

    /// <summary>One stop of the world by the garbage collector (suspension begin to restart end).</summary>
    private sealed record GcPause(DateTime Start, DateTime End, int Generation)
    {
        public TimeSpan Duration => End - Start;
    }

    /// <summary>The runtime's GC events in this process (EventPipe through an in-process <see cref="EventListener"/>).</summary>
    private sealed class GcPauses : EventListener
    {
        private const string RuntimeSource = "Microsoft-Windows-DotNETRuntime";
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private const int GcStart = 1;
        private const int RestartEeEnd = 3;
        private const int SuspendEeBegin = 9;
        private const int AllocationTick = 10;

        private readonly object _gate = new();
        private readonly List<GcPause> _pauses = [];
        private readonly Dictionary<string, long> _allocated = new(StringComparer.Ordinal);
        private DateTime? _suspended;
        private int _generation;

        public IReadOnlyList<GcPause> Pauses()
        {
            lock (_gate)
            {
                return [.. _pauses];
            }
        }

        public void Clear()
        {
            lock (_gate)
            {
                _pauses.Clear();
                _allocated.Clear();
            }
        }

        /// <summary>The types allocated most (sampled by the runtime about every 100 KB), in bytes.</summary>
        public IReadOnlyList<string> TopAllocations(int count)
        {
            lock (_gate)
            {
                var total = Math.Max(1, _allocated.Values.Sum());
                return [.. _allocated.OrderByDescending(kv => kv.Value).Take(count).Select(kv => $"{kv.Key} {100.0 * kv.Value / total:0.0}%")];
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == RuntimeSource)
            {
                EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            var at = eventData.TimeStamp.ToUniversalTime();
            lock (_gate)
            {
                switch (eventData.EventId)
                {
                    case SuspendEeBegin:
                        _suspended = at;
                        _generation = -1;
                        break;
                    case GcStart when eventData.Payload is { Count: > 1 } payload && payload[1] is uint depth:
                        _generation = (int)depth;
                        break;
                    case AllocationTick when eventData.Payload is { Count: > 5 } tick && tick[5] is string type:
                        var amount = tick[3] is ulong large ? (long)large : 100_000L;
                        _allocated[type] = _allocated.GetValueOrDefault(type) + amount;
                        break;
                    case RestartEeEnd when _suspended is { } start:
                        _pauses.Add(new GcPause(start, at, _generation));
                        _suspended = null;
                        break;
                    default:
                        break;
                }
            }
        }
    }
}
