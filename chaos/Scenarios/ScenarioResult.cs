using OrleansSettlement.Chaos.Faults;

namespace OrleansSettlement.Chaos.Scenarios;

/// <summary>How one checkout of a scenario ended.</summary>
public sealed record CheckoutOutcome(string CheckoutId, string? AgreementId, string Stage, string? AbortCode, bool Final);

/// <summary>
/// What one scenario did and found: its outcomes, the faults that hit it by kind, every violation (of an invariant or
/// of what its kind expects), whether every agreement reached a final outcome within the liveness bound, and how long
/// that took once its faults stopped.
/// </summary>
public sealed record ScenarioResult(
    int Index,
    int Seed,
    string Kind,
    string Description,
    IReadOnlyList<CheckoutOutcome> Checkouts,
    IReadOnlyDictionary<FaultKind, int> Faults,
    IReadOnlyList<string> Violations,
    string? Unfinished,
    TimeSpan TimeToFinal,
    TimeSpan Duration)
{
    public bool Ok => Violations.Count == 0 && Unfinished is null;

    /// <summary>Where the history of a failed scenario was written (<see cref="ScenarioHistory"/>); null when it passed.</summary>
    public string? HistoryFile { get; init; }
}
