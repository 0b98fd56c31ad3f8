using Azure.Data.Tables;
using Orleans.Storage;
using OrleansSettlement.Chaos.Invariants;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>
/// Grain state read straight from the Azure table rows (what an auditor of the invariants reads), decoded with the
/// silo's own grain storage serializer by <see cref="StoredState"/>.
/// </summary>
internal static class StoredRows
{
    public static async Task<List<TableEntity>> ReadAsync(string connectionString) => [.. await StoredState.ReadAsync(connectionString)];

    /// <summary>The state of the one grain whose key is <paramref name="grainKey"/>, whatever its state name.</summary>
    public static T Single<T>(IGrainStorageSerializer serializer, IEnumerable<TableEntity> rows, string grainKey)
    {
        var row = Assert.Single(rows, r => StoredState.GrainKeyOf(r) == grainKey);
        return Assert.Single(StoredState.Decode<T>([row], serializer, row.RowKey)).Value;
    }

    /// <summary>The states stored under <paramref name="stateName"/> by grains whose key starts with
    /// <paramref name="keyPrefix"/> (for example every account or note of one institution).</summary>
    public static List<T> All<T>(IGrainStorageSerializer serializer, IEnumerable<TableEntity> rows, string stateName, string keyPrefix) =>
        [.. StoredState.Decode<T>(rows, serializer, stateName).Where(p => p.Key.StartsWith(keyPrefix, StringComparison.Ordinal)).Select(p => p.Value)];
}
