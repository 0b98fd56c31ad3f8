using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrleansSettlement.Service.Tests.Observability;

/// <summary>A finished span as recorded: what the tests look at, copied when the activity stops.</summary>
public sealed record RecordedSpan(
    string Source,
    string Name,
    ActivityKind Kind,
    ActivityTraceId TraceId,
    ActivitySpanId SpanId,
    ActivitySpanId ParentSpanId,
    IReadOnlyDictionary<string, string?> Tags,
    IReadOnlyList<ActivityContext> Links)
{
    public bool IsRoot => ParentSpanId == default;

    public string? Tag(string name) => Tags.GetValueOrDefault(name);

    public override string ToString() => $"{Source}/{Name} {SpanId} (parent {ParentSpanId})";
}

/// <summary>
/// Records the spans the process's OpenTelemetry providers record (what their exporters receive), while alive: an
/// in-process <see cref="ActivityListener"/> that never votes in sampling itself (so the hosts' sources and sampler
/// decide) and keeps every stopped activity marked recorded. Listeners are process-wide, so tests pick their own spans
/// by trace id.
/// </summary>
public sealed class SpanCollector : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<Activity, byte> _open = new();
    private readonly ConcurrentQueue<RecordedSpan> _finished = new();
    private readonly ConcurrentDictionary<ActivityTraceId, long> _lastStopTicks = new();

    public SpanCollector()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            SampleUsingParentId = (ref ActivityCreationOptions<string> _) => ActivitySamplingResult.None,
            ActivityStarted = activity =>
            {
                if (activity.Recorded)
                {
                    _open.TryAdd(activity, 0);
                }
            },
            ActivityStopped = Stopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<RecordedSpan> Finished => [.. _finished];

    /// <summary>The spans of one trace, once none of its spans is still open and none has ended for
    /// <paramref name="quiet"/> (or when <paramref name="timeout"/> passes: the assertions then say what is missing).</summary>
    public async Task<IReadOnlyList<RecordedSpan>> TraceAsync(ActivityTraceId traceId, TimeSpan quiet, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            var open = _open.Keys.Any(a => a.TraceId == traceId);
            var lastStop = _lastStopTicks.GetValueOrDefault(traceId);
            if (!open && Environment.TickCount64 - lastStop >= quiet.TotalMilliseconds)
            {
                break;
            }

            await Task.Delay(100);
        }

        return [.. _finished.Where(s => s.TraceId == traceId)];
    }

    public void Dispose() => _listener.Dispose();

    private void Stopped(Activity activity)
    {
        _open.TryRemove(activity, out _);
        if (!activity.Recorded)
        {
            return;
        }

        var tags = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in activity.TagObjects)
        {
            tags[key] = value?.ToString();
        }

        _finished.Enqueue(new RecordedSpan(
            activity.Source.Name,
            activity.DisplayName,
            activity.Kind,
            activity.TraceId,
            activity.SpanId,
            activity.ParentSpanId,
            tags,
            [.. activity.Links.Select(l => l.Context)]));
        _lastStopTicks[activity.TraceId] = Environment.TickCount64;
    }
}
