using Azure.Data.Tables;
using OrleansSettlement.Contracts;
using OrleansSettlement.Service.Tests.Grains;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests;

[Collection(ServiceCollection.Name)]
public sealed class GrainStorageTests(ServiceFixture service)
{
    [Fact]
    public async Task WriteState_GrainDeactivated_NewActivationReadsItBackFromTableStorage()
    {
        var key = "probe-" + Guid.NewGuid().ToString("N");
        var grain = service.Grains.GetGrain<IStorageProbeGrain>(key);
        await grain.SetAsync("kept across activations");
        var firstActivation = await grain.GetActivationIdAsync();

        await grain.DeactivateAsync();
        var secondActivation = await WaitForNewActivationAsync(grain, firstActivation);

        Assert.NotEqual(firstActivation, secondActivation);
        Assert.Equal("kept across activations", await grain.GetAsync());
    }

    [Fact]
    public async Task WriteState_Settlement_LandsInTheGrainStateTable()
    {
        var key = "probe-" + Guid.NewGuid().ToString("N");
        await service.Grains.GetGrain<IStorageProbeGrain>(key).SetAsync("stored");

        var table = new TableServiceClient(service.StorageConnectionString).GetTableClient(StorageNames.GrainStateTable);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(maxPerPage: 1000))
        {
            rows.Add(row);
        }

        Assert.Contains(rows, row => row.PartitionKey.Contains(key, StringComparison.Ordinal) || row.RowKey.Contains(key, StringComparison.Ordinal));
    }

    private static async Task<Guid> WaitForNewActivationAsync(IStorageProbeGrain grain, Guid previous)
    {
        // DeactivateOnIdle takes effect after the call returns; the next call may still reach the old activation.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var current = await grain.GetActivationIdAsync();
            if (current != previous)
            {
                return current;
            }

            await Task.Delay(50);
        }

        return previous;
    }
}
