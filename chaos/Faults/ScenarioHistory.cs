using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace OrleansSettlement.Chaos.Faults;

/// <summary>
/// What happened to one scenario, in order: every call its grains received (on which silo and activation, with what
/// arguments and what answer), every fault injected into it, the cluster faults (silo kills, Azurite restarts) that
/// happened meanwhile, and the driver's milestones. Kept in memory while the scenario runs and written to a file only when
/// it fails, so that a failure that does not replay (thread timing is real) can still be explained from its history.
/// Bounded: past <see cref="MaxEntries"/> entries, later ones are counted and dropped.
/// </summary>
public sealed class ScenarioHistory
{
    /// <summary>The most entries kept (a scenario makes a few hundred to a few thousand).</summary>
    public const int MaxEntries = 20_000;

    private const int MaxText = 80;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly List<string> _entries = [];
    private readonly Lock _gate = new();
    private int _dropped;

    /// <summary>Adds one line, stamped with the time since the scenario started.</summary>
    public void Add(string what)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,9:0.000}s {what}");
        lock (_gate)
        {
            if (_entries.Count < MaxEntries)
            {
                _entries.Add(line);
            }
            else
            {
                _dropped++;
            }
        }
    }

    /// <summary>Writes the history to <paramref name="path"/> under a header line.</summary>
    public async Task WriteAsync(string path, string header)
    {
        List<string> lines;
        int dropped;
        lock (_gate)
        {
            lines = [.. _entries];
            dropped = _dropped;
        }

        var text = new StringBuilder()
            .AppendLine(header)
            .AppendLine(string.Create(CultureInfo.InvariantCulture, $"started {_started:O}; times below are seconds since then"));
        foreach (var line in lines)
        {
            text.AppendLine(line);
        }

        if (dropped > 0)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"... {dropped} later entries dropped (more than {MaxEntries})"));
        }

        await File.WriteAllTextAsync(path, text.ToString()).ConfigureAwait(false);
    }

    /// <summary>A short description of a call's argument or answer: scalars and short strings as they are, long strings by
    /// their length, collections by their count, the service's records by their short members (a note view's state and
    /// agreement, a reply's refusal code).</summary>
    public static string Describe(object? value, int depth = 0)
    {
        switch (value)
        {
            case null:
                return "null";
            case string text:
                return text.Length <= MaxText ? text : string.Create(CultureInfo.InvariantCulture, $"<{text.Length} chars>");
            case Enum or bool or char:
                return value.ToString()!;
            case IFormattable formattable when value.GetType().IsPrimitive || value is decimal or DateTimeOffset or DateTime or TimeSpan:
                return formattable.ToString(null, CultureInfo.InvariantCulture);
            case ICollection collection:
                return string.Create(CultureInfo.InvariantCulture, $"[{collection.Count}]");
            case Exception exception:
                return $"{exception.GetType().Name}: {Describe(exception.Message)}";
        }

        if (depth >= 2)
        {
            return value.GetType().Name;
        }

        var members = value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name is not "EqualityContract")
            .Select(p => (p.Name, Value: Read(p, value)))
            .Where(m => m.Value is not null and not (string { Length: > MaxText }))
            .Select(m => $"{m.Name}={Describe(m.Value, depth + 1)}");
        return $"{value.GetType().Name.Split('`')[0]}({string.Join(", ", members)})";
    }

    private static object? Read(PropertyInfo property, object owner)
    {
        try
        {
            return property.GetValue(owner);
        }
        catch (TargetInvocationException)
        {
            return null;
        }
    }
}
