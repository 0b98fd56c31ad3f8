namespace OrleansSettlement.Chaos;

/// <summary>
/// What one chaos run does: how many scenarios from which seed (or only one of them, to replay it), how many at once,
/// and where Azurite and its data are. The service's periods in chaos silos are lowered to seconds (the constants
/// below); production defaults are untouched.
/// </summary>
public sealed record ChaosSettings
{
    /// <summary>How long a payer has to answer a challenge in chaos silos (production: 120 s).</summary>
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromSeconds(6);

    /// <summary>How long the settlement grain waits for every vote in chaos silos (production: 60 s).</summary>
    public static readonly TimeSpan VoteTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The grain timers that re-send lost one-way calls (production: 2 s).</summary>
    public static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>The durable reminders (production: 1 min; Orleans' minimum reminder period is lowered to 1 s in chaos silos).</summary>
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromSeconds(2);

    /// <summary>How long a grain call waits for its answer (Orleans' default: 30 s).</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The stated liveness bound: once a scenario's faults stop, each of its agreements reaches a final outcome
    /// within this time (the run measures the worst case and reports a scenario that exceeds it as unfinished).</summary>
    public static readonly TimeSpan LivenessBound = TimeSpan.FromSeconds(120);

    /// <summary>How long the driver keeps retrying a scenario's steps before it gives up on them. Long: a grain whose storage
    /// request was cut by an Azurite restart can stay busy for about 100 s (the Azure SDK's network timeout), and a patient
    /// app then sees its checkout proceed or expire, both outcomes.</summary>
    public static readonly TimeSpan DriveTimeout = TimeSpan.FromSeconds(300);

    public required int Seed { get; init; }

    public int Scenarios { get; init; } = 200;

    /// <summary>Run only the scenario with this index (0-based) of the seed, to replay it.</summary>
    public int? Only { get; init; }

    public int Concurrency { get; init; } = 32;

    public int Silos { get; init; } = 3;

    /// <summary>The Azurite executable (node_modules/.bin/azurite).</summary>
    public required string AzuriteExecutable { get; init; }

    /// <summary>Azurite's data folder for this run (a fresh one: the run's names only avoid each other within a run).</summary>
    public required string StorageLocation { get; init; }

    /// <summary>Whether the silos log warnings to the console.</summary>
    public bool ShowLogs { get; init; }

    /// <summary>The indices this run executes.</summary>
    public IEnumerable<int> Indices => Only is { } only ? [only] : Enumerable.Range(0, Scenarios);
}
