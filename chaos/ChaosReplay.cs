using System.Globalization;

namespace OrleansSettlement.Chaos;

/// <summary>
/// The <c>settle chaos</c> command lines that run a chaos run, or one scenario of it, again. A scenario is drawn from the
/// run's seed, its index and the silo count alone (<see cref="Scenarios.ScenarioGenerator"/>), not from the number of
/// scenarios or the concurrency; but <c>--only K</c> must be below <c>--scenarios</c> (200 unless given), so a scenario's
/// replay always names the run's count. A whole run's replay also names its concurrency, which decides which scenarios
/// overlap (threads and timing stay real: docs/reliability.md, "Limits"). The command has no silo option: these lines
/// replay runs of <see cref="ChaosSettings.Silos"/> = 3, as <c>settle chaos</c> makes them.
/// </summary>
public static class ChaosReplay
{
    /// <summary>The command that runs scenario <paramref name="index"/> of the run <paramref name="settings"/> describes on its own.</summary>
    public static string Scenario(ChaosSettings settings, int index)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return string.Create(CultureInfo.InvariantCulture, $"./settle chaos --seed {settings.Seed} --scenarios {settings.Scenarios} --only {index}");
    }

    /// <summary>The command that runs the whole run again (or its one scenario, for a run of <c>--only K</c>).</summary>
    public static string Run(ChaosSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Only is { } only
            ? Scenario(settings, only)
            : string.Create(CultureInfo.InvariantCulture, $"./settle chaos --seed {settings.Seed} --scenarios {settings.Scenarios} --concurrency {settings.Concurrency}");
    }
}
