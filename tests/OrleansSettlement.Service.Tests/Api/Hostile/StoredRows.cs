using Azure.Data.Tables;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Service.Tests.Api.Hostile;

/// <summary>
/// Every row of the grain state table (every grain's state, idempotency records included) with its ETag, which changes on
/// every write. Two snapshots that are equal mean nothing was written in between: a refused request left no trace.
/// </summary>
public sealed class StoredRows
{
    private readonly Dictionary<string, string> _rows;

    private StoredRows(Dictionary<string, string> rows) => _rows = rows;

    public int Count => _rows.Count;

    public static async Task<StoredRows> ReadAsync(string connectionString)
    {
        var table = new TableClient(connectionString, StorageNames.GrainStateTable);
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var row in table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
        {
            rows[row.PartitionKey + " | " + row.RowKey] = row.ETag.ToString();
        }

        return new StoredRows(rows);
    }

    /// <summary>The rows added, removed or rewritten since <paramref name="before"/>, one line each (empty when none).</summary>
    public IReadOnlyList<string> ChangesSince(StoredRows before)
    {
        ArgumentNullException.ThrowIfNull(before);
        var changes = new List<string>();
        changes.AddRange(_rows.Keys.Where(key => !before._rows.ContainsKey(key)).Select(key => "added " + key));
        changes.AddRange(before._rows.Keys.Where(key => !_rows.ContainsKey(key)).Select(key => "removed " + key));
        changes.AddRange(_rows.Where(row => before._rows.TryGetValue(row.Key, out var etag) && etag != row.Value).Select(row => "rewritten " + row.Key));
        return changes;
    }
}
