namespace OrleansSettlement.Cli.Service;

/// <summary>The service <c>settle up</c> has started, as a ready step sees it.</summary>
/// <param name="RepositoryRoot">The repository's root folder.</param>
/// <param name="ApiBaseAddress">The API, e.g. http://127.0.0.1:5080.</param>
/// <param name="StorageConnectionString">The local Azurite's connection string (its public development key).</param>
/// <param name="Silos">How many silos run.</param>
/// <param name="AdminToken">The admin's bearer token (the API holds its SHA-256); kept in .settle/admin.token.</param>
internal sealed record RunningService(string RepositoryRoot, Uri ApiBaseAddress, string StorageConnectionString, int Silos, string AdminToken)
{
    /// <summary>Never the admin token.</summary>
    public override string ToString() => $"RunningService({ApiBaseAddress}, {Silos} silos)";
}

/// <summary>
/// Work that <c>settle up</c> does once the service answers <c>/health/ready</c> and before it reports the URLs.
/// A step must be idempotent: <c>up</c> runs it on every start, on data kept from earlier runs.
/// </summary>
internal interface IReadyStep
{
    /// <summary>What the step does, shown as "  NAME..." while it runs.</summary>
    string Description { get; }

    Task RunAsync(RunningService service, CancellationToken ct);
}

/// <summary>The ready steps, in order. Seeding the demo institutions, stores and wallets registers here.</summary>
internal static class ReadySteps
{
    public static IReadOnlyList<IReadyStep> All { get; } = [new SeedDemoStep()];
}
