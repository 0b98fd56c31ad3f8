using Azure.Data.Tables;
using Orleans.Storage;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>
/// Reads grain state straight from the Azure table rows (what an auditor of the invariants reads), decoded with the
/// silo's own grain storage serializer.
/// </summary>
internal static class StoredRows
{
    public static async Task<List<TableEntity>> ReadAsync(string connectionString)
    {
        var table = new TableServiceClient(connectionString).GetTableClient(StorageNames.GrainStateTable);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(maxPerPage: 1000))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The state of the one grain whose key is <paramref name="grainKey"/> (its partition key ends with it).</summary>
    public static T Single<T>(IGrainStorageSerializer serializer, IEnumerable<TableEntity> rows, string grainKey) =>
        Decode<T>(serializer, Assert.Single(rows, r => r.PartitionKey.EndsWith(grainKey, StringComparison.Ordinal)));

    /// <summary>The states stored under <paramref name="stateName"/> by grains whose key starts with
    /// <paramref name="keyPrefix"/> (for example every account or note of one institution; the provider writes the grain id with "/" as "_").</summary>
    public static List<T> All<T>(IGrainStorageSerializer serializer, IEnumerable<TableEntity> rows, string stateName, string keyPrefix) =>
        rows.Where(r => string.Equals(r.RowKey, stateName, StringComparison.Ordinal) && r.PartitionKey.Contains("_" + keyPrefix, StringComparison.Ordinal))
            .Select(r => Decode<T>(serializer, r))
            .ToList();

    private static T Decode<T>(IGrainStorageSerializer serializer, TableEntity row)
    {
        var grainKey = row.PartitionKey;
        var data = new List<byte>();
        foreach (var name in new[] { "Data" }.Concat(Enumerable.Range(1, 14).Select(i => "Data" + i)))
        {
            if (row.TryGetValue(name, out var chunk) && chunk is byte[] bytes)
            {
                data.AddRange(bytes);
            }
        }

        return serializer.Deserialize<T>(new BinaryData(data.ToArray())) ?? throw new InvalidOperationException($"the row of {grainKey} holds no state.");
    }
}
