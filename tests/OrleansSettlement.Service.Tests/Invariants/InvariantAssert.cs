using Orleans.Storage;
using Shared = OrleansSettlement.Chaos.Invariants;

namespace OrleansSettlement.Service.Tests.Invariants;

/// <summary>
/// The tests' side of the shared invariant checker (<see cref="Shared.SystemInvariants"/>, in the chaos
/// library so that <c>settle chaos</c> runs the same checks): a test fails with every violation found.
/// </summary>
internal static class SystemInvariants
{
    public static async Task AssertHoldAsync(string connectionString, IGrainStorageSerializer serializer)
    {
        var report = await CheckAsync(connectionString, serializer).ConfigureAwait(false);
        Assert.True(report.Violations.Count == 0, "Invariant violations:\n" + string.Join('\n', report.Violations));
    }

    public static Task<Shared.InvariantReport> CheckAsync(string connectionString, IGrainStorageSerializer serializer) =>
        Shared.SystemInvariants.CheckAsync(connectionString, serializer);
}
