using OrleansSettlement.Bench.Hosting;
using OrleansSettlement.Bench.Report;

namespace OrleansSettlement.Bench;

internal sealed partial class BenchRunner
{
    private Task<BoundedStateReport> RunBoundedStateAsync(BenchAzurite azurite, CancellationToken ct)
    {
        _ = azurite;
        _ = ct;
        throw new BenchSetupException("the bounded-state mode is not built yet.");
    }
}
