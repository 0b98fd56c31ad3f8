using System.Globalization;

namespace OrleansSettlement.Cli.Demo;

/// <summary>What a demo reports while it runs.</summary>
internal interface IDemoProgress
{
    /// <summary>What the demo is doing now (a spinner's text on a terminal; not printed otherwise).</summary>
    void Phase(string text);

    /// <summary>Something the demo did, as a line.</summary>
    void Note(string text);

    /// <summary>A step S1..S10 as it happens, with its detail for people.</summary>
    void Step(DemoStep step, string detail);

    /// <summary>The demo is waiting (for the outcome, or through a failure it retries); called often.</summary>
    void Waiting(string text, TimeSpan waited);
}

/// <summary>Reports nothing (the tests, and <c>--json</c> on a quiet stream).</summary>
internal sealed class SilentProgress : IDemoProgress
{
    public static SilentProgress Instance { get; } = new();

    public void Phase(string text)
    {
    }

    public void Note(string text)
    {
    }

    public void Step(DemoStep step, string detail)
    {
    }

    public void Waiting(string text, TimeSpan waited)
    {
    }
}

/// <summary>
/// Plain lines (stdout not a terminal): every note and step; a waiting line once a wait has lasted 2 s, then every 5 s.
/// With <c>--json</c> only the waiting lines are written, to stderr.
/// </summary>
internal sealed class PlainProgress(TextWriter output, bool waitingOnly = false, TimeProvider? time = null) : IDemoProgress
{
    private static readonly TimeSpan QuietWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WaitingEvery = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private long? _lastWaiting;

    public void Phase(string text)
    {
    }

    public void Note(string text)
    {
        if (!waitingOnly)
        {
            Write(text);
        }
    }

    public void Step(DemoStep step, string detail)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (!waitingOnly)
        {
            Write(Line(step, detail));
        }
    }

    public void Waiting(string text, TimeSpan waited)
    {
        lock (_gate)
        {
            if (waited < QuietWait || (_lastWaiting is { } last && _time.GetElapsedTime(last) < WaitingEvery))
            {
                return;
            }

            _lastWaiting = _time.GetTimestamp();
        }

        Write("  ... " + text);
    }

    /// <summary>"S2      45 ms  10:15:00  bundle of 3 contributions ...".</summary>
    public static string Line(DemoStep step, string detail)
    {
        ArgumentNullException.ThrowIfNull(step);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{step.Step,-4}{step.DurationMs,7} ms  {DemoText.TimeOfDay(step.At),-12}  {detail}");
    }

    private void Write(string line)
    {
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
