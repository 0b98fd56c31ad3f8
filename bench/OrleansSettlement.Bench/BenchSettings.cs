using OrleansSettlement.Bench.Hosting;
using OrleansSettlement.Bench.Load;

namespace OrleansSettlement.Bench;

/// <summary>How the client reaches the service in a bench run.</summary>
public enum BenchPath
{
    /// <summary>The in-process Orleans client: the calls the API would make, without HTTP.</summary>
    Grain,

    /// <summary>The real API on Kestrel in the bench process, driven over HTTP by the partner SDK (RFC 9421 request
    /// signatures, idempotency keys: the API's idempotency records are counted).</summary>
    Http,
}

/// <summary>What one <c>settle bench</c> run does (the command's options, checked by <see cref="Validate"/>).</summary>
public sealed record BenchSettings
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public BenchLayout Layout { get; init; } = BenchLayout.Default;

    /// <summary>Arrivals per second (open loop); null runs the saturating phase, then an open-loop phase at half its throughput.</summary>
    public double? Rate { get; init; }

    /// <summary>At most this many checkouts under way at once; also the concurrency of the raw-write measurement.</summary>
    public int Concurrency { get; init; } = 64;

    public IReadOnlyList<StorageMode> Storage { get; init; } = [StorageMode.Memory, StorageMode.Azurite];

    public BenchPath Path { get; init; } = BenchPath.Grain;

    /// <summary>Also compare 1 store at 1 bank with 8 stores at 4 banks at the load that saturates the latter.</summary>
    public bool HotGrains { get; init; }

    /// <summary>Run only the bounded-state mode (100,000 notes at one bank, 10,000 checkouts at one store).</summary>
    public bool BoundedState { get; init; }

    /// <summary>Scale of the bounded-state mode (1 = the 100,000 notes and 10,000 checkouts).</summary>
    public double BoundedScale { get; init; } = 1;

    /// <summary>How long each machine-limit measurement runs (ES256 verifications/s, raw writes/s).</summary>
    public TimeSpan LimitDuration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long the warm-up (JIT, activations, the first estimate of the peak) runs.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan OutcomeTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How the banks sign notes: the development signer, or the Key Vault adapter against the fake vault.</summary>
    public BenchSigner Signer { get; init; } = BenchSigner.Development;

    public bool ShowLogs { get; init; }

    /// <summary>Explain the slowest checkouts of each phase (<see cref="Measure.TailProbe"/>).</summary>
    public bool Tail { get; init; }

    /// <summary>The repository (for node_modules/.bin/azurite).</summary>
    public string RepositoryRoot { get; init; } = FindRepositoryRoot();

    /// <summary>The first problem with these settings, or null.</summary>
    public string? Validate()
    {
        if (Duration < TimeSpan.FromSeconds(1) || Duration > TimeSpan.FromHours(1))
        {
            return "--duration must be 1 to 3600 seconds.";
        }

        if (Layout.Payers is < 1 or > 16)
        {
            return "--payers must be 1 to 16.";
        }

        if (Layout.Banks is < 1 or > 16 || Layout.Stores is < 1 or > 64)
        {
            return "--banks must be 1 to 16 and --stores 1 to 64.";
        }

        if (Rate is { } rate && (rate <= 0 || rate > 100_000 || double.IsNaN(rate)))
        {
            return "--rate must be a positive number of checkouts per second.";
        }

        if (Concurrency is < 1 or > 4096)
        {
            return "--concurrency must be 1 to 4096.";
        }

        return Storage.Count == 0 ? "--storage must name azurite, memory or both." : null;
    }

    private static string FindRepositoryRoot()
    {
        if (Environment.GetEnvironmentVariable("SETTLE_ROOT") is { Length: > 0 } root && Directory.Exists(root))
        {
            return root;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "OrleansSettlement.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
