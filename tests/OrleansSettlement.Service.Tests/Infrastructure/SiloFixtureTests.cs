using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace OrleansSettlement.Service.Tests.Infrastructure;

/// <summary>
/// A fixture whose silo fails to start stops its Azurite before the failure reaches xUnit (which does not dispose a
/// fixture whose initialization threw): no Azurite process outlives the run.
/// </summary>
public sealed class SiloFixtureTests
{
    [Fact]
    public async Task Initialize_SiloStartFails_StopsItsAzuriteAndPassesTheFailureOn()
    {
        var fixture = new FailingSiloFixture();
        try
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(fixture.InitializeAsync);

            Assert.Contains(FailingSiloFixture.Reason, failure.ToString(), StringComparison.Ordinal);
            Assert.NotEqual(0, fixture.AzuriteProcessId);
            Assert.False(IsRunning(fixture.AzuriteProcessId), $"Azurite (pid {fixture.AzuriteProcessId}) is still running after the silo failed to start.");
        }
        finally
        {
            // Only does something when the fixture left its Azurite running (the failure above): stop it all the same.
            await fixture.DisposeAsync();
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A silo whose start fails inside its own lifecycle (a startup task that throws), after it has joined the
    /// cluster on the fixture's Azurite.</summary>
    private sealed class FailingSiloFixture() : SiloFixture("failing-")
    {
        public const string Reason = "this silo is made to fail its start";

        protected override IHost BuildSilo(string storageConnectionString, string clusterId) =>
            TestSilo.Build(storageConnectionString, clusterId, configure: silo => silo.AddStartupTask((_, _) => throw new InvalidOperationException(Reason)));
    }
}
