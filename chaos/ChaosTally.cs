using System.Globalization;
using OrleansSettlement.Chaos.Faults;
using OrleansSettlement.Chaos.Scenarios;

namespace OrleansSettlement.Chaos;

/// <summary>
/// Running figures of a run as its scenarios end, one line at a time, so that a long soak stopped before its end still
/// says how far it got and what it found.
/// </summary>
public sealed class ChaosTally
{
    private readonly Lock _gate = new();
    private readonly Dictionary<FaultKind, int> _faults = [];
    private int _done;
    private int _failed;
    private int _violations;
    private int _unfinished;
    private TimeSpan _worst;

    /// <summary>Adds one scenario's result; returns how many are done and the line that describes the run so far.</summary>
    public (int Done, string Line) Add(ScenarioResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (_gate)
        {
            _done++;
            _failed += result.Ok ? 0 : 1;
            _violations += result.Violations.Count;
            _unfinished += result.Unfinished is null ? 0 : 1;
            _worst = result.TimeToFinal > _worst ? result.TimeToFinal : _worst;
            foreach (var (kind, count) in result.Faults)
            {
                _faults[kind] = _faults.GetValueOrDefault(kind) + count;
            }

            return (_done, string.Create(
                CultureInfo.InvariantCulture,
                $"{_done} done, {_failed} failed, {_violations} violations, {_unfinished} unfinished, worst time to final {_worst.TotalSeconds:0.0} s; faults: {string.Join(", ", _faults.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}"));
        }
    }
}
