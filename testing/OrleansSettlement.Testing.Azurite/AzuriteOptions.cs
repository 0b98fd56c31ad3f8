namespace OrleansSettlement.Testing.Azurite;

/// <summary>
/// How to start Azurite: which executable, in memory or with durable data in <see cref="Location"/>, and how long to wait
/// for it to listen and to stop on SIGTERM before it is killed.
/// </summary>
/// <param name="Executable">The Azurite launcher, normally the repository's pinned copy (<see cref="ExecutableIn"/>).</param>
public sealed record AzuriteOptions(string Executable)
{
    /// <summary>The folder for durable data (<c>--location</c>); null keeps everything in memory
    /// (<c>--inMemoryPersistence</c>), lost when the process ends.</summary>
    public string? Location { get; init; }

    /// <summary>The process's working directory; null inherits this process's.</summary>
    public string? WorkingDirectory { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a stop waits after SIGTERM before SIGKILL (counted in <see cref="AzuriteProcess.ForcedStops"/>).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The pinned Azurite in a repository (<c>node_modules/.bin/azurite</c>, installed by <c>npm ci</c>).</summary>
    public static string ExecutableIn(string repositoryRoot) => Path.Combine(repositoryRoot, "node_modules", ".bin", "azurite");

    /// <summary>The repository's Azurite in memory, run from the repository root (tests, the bench).</summary>
    public static AzuriteOptions InMemory(string repositoryRoot) =>
        new(ExecutableIn(repositoryRoot)) { WorkingDirectory = repositoryRoot };

    /// <summary>Azurite with its data in <paramref name="location"/>, so that it can be restarted on the same data. The
    /// longer stop timeout gives it time to save its database after SIGTERM.</summary>
    public static AzuriteOptions Durable(string executable, string location) =>
        new(executable) { Location = location, StopTimeout = TimeSpan.FromSeconds(20) };
}
