using System.Diagnostics;
using Azure.Data.Tables;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Infrastructure;

/// <summary>
/// The shared Azurite launcher: a durable Azurite stopped with SIGTERM and started again keeps the rows written just
/// before the stop (what the chaos runner's Azurite restarts rely on); a stop that needs SIGKILL is counted; an in-memory
/// Azurite stops by its PID and refuses a restart that would lose its data.
/// </summary>
public sealed class AzuriteProcessTests(ITestOutputHelper output)
{
    private const int Rows = 300;

    [Fact]
    public async Task Restart_Durable_KeepsEveryRowAcknowledgedBeforeTheSigterm()
    {
        var location = Path.Combine(Path.GetTempPath(), "azurite-restart-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var azurite = await AzuriteProcess.StartAsync(AzuriteOptions.Durable(AzuriteOptions.ExecutableIn(RepositoryRoot.Find()), location));
            var ports = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
            var firstProcess = azurite.ProcessId;
            var table = new TableClient(azurite.ConnectionString, "restart");
            await table.CreateIfNotExistsAsync();

            // Writes in parallel up to the moment of the stop: the last acknowledged ones are milliseconds old at SIGTERM,
            // well inside Azurite's 5 s autosave interval, so only the save on SIGTERM can keep them.
            await Parallel.ForEachAsync(Enumerable.Range(0, Rows), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (row, ct) =>
                await table.AddEntityAsync(new TableEntity("p", row.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)) { ["Value"] = row }, ct));
            var stop = Stopwatch.StartNew();
            await azurite.RestartAsync(TimeSpan.Zero);
            output.WriteLine($"stop and start took {stop.ElapsedMilliseconds} ms; forced stops {azurite.ForcedStops}");

            Assert.Equal(0, azurite.ForcedStops);
            Assert.NotEqual(firstProcess, azurite.ProcessId);
            Assert.Equal(ports, (azurite.BlobPort, azurite.QueuePort, azurite.TablePort));
            var read = new List<int>();
            await foreach (var entity in new TableClient(azurite.ConnectionString, "restart").QueryAsync<TableEntity>())
            {
                read.Add(entity.GetInt32("Value")!.Value);
            }

            Assert.Equal(Enumerable.Range(0, Rows), read.Order());
        }
        finally
        {
            Directory.Delete(location, recursive: true);
        }
    }

    [Fact]
    public async Task Stop_ThatNeedsSigkill_IsCountedAsForced()
    {
        var options = AzuriteOptions.InMemory(RepositoryRoot.Find()) with { StopTimeout = TimeSpan.Zero };
        var azurite = await AzuriteProcess.StartAsync(options);
        var processId = azurite.ProcessId;

        await azurite.StopAsync();

        Assert.Equal(1, azurite.ForcedStops);
        Assert.Equal(0, azurite.ProcessId);
        Assert.False(IsRunning(processId));
    }

    [Fact]
    public async Task InMemory_StopsByItsPidOnSigtermAndRefusesARestart()
    {
        var azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find());
        var processId = azurite.ProcessId;
        var table = new TableClient(azurite.ConnectionString, "memory");
        await table.CreateIfNotExistsAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => azurite.RestartAsync(TimeSpan.Zero));
        await azurite.DisposeAsync();

        Assert.Equal(0, azurite.ForcedStops);
        Assert.False(IsRunning(processId));
    }

    [Fact]
    public async Task Start_WithoutTheExecutable_SaysHowToInstallIt()
    {
        var missing = new AzuriteOptions(Path.Combine(Path.GetTempPath(), "no-azurite-" + Guid.NewGuid().ToString("N")));

        var failure = await Assert.ThrowsAsync<AzuriteStartException>(() => AzuriteProcess.StartAsync(missing));

        Assert.Contains("npm ci", failure.Message, StringComparison.Ordinal);
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
}
