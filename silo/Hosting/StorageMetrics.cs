using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;

namespace OrleansSettlement.Hosting;

/// <summary>
/// Counts the requests the hosts send to Azure Table storage, by table and by kind (write or read), at the HTTP
/// pipeline: every grain state write, reminder and membership update is counted as it leaves the process. Meter
/// <see cref="MeterName"/>; the cost tests and the benchmark read it with a <see cref="MeterListener"/>.
/// </summary>
public static class StorageMetrics
{
    public const string MeterName = "OrleansSettlement.Storage";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Durable writes (insert, update, merge, delete, batch), tagged with <c>table</c> and <c>grain</c> (type).</summary>
    public static readonly Counter<long> Writes = Meter.CreateCounter<long>("osettle.storage.writes", description: "Azure Table write requests");

    /// <summary>Reads and queries, tagged with <c>table</c>.</summary>
    public static readonly Counter<long> Reads = Meter.CreateCounter<long>("osettle.storage.reads", description: "Azure Table read requests");

    /// <summary>Adds the counting policy to <paramref name="options"/> and returns them.</summary>
    public static TableClientOptions Instrument(TableClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddPolicy(new CountingPolicy(), HttpPipelinePosition.PerCall);
        return options;
    }

    /// <summary>The table a request addresses: the first path segment up to '(' (e.g. <c>SettlementGrainState</c>).</summary>
    internal static string TableOf(Uri uri)
    {
        var path = uri.AbsolutePath.TrimStart('/');
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && path.StartsWith("devstoreaccount", StringComparison.Ordinal))
        {
            // Azurite addresses tables under the account name: /devstoreaccount1/Table(...)
            path = path[(slash + 1)..];
        }

        var end = path.IndexOfAny(['(', '/', '?']);
        var table = end < 0 ? path : path[..end];
        return table.Length == 0 ? "(service)" : table;
    }

    /// <summary>
    /// The grain type a grain-state request addresses, from its partition key (<c>{service id}_{grain type}_{key}</c>),
    /// or <c>(none)</c> when the request names no entity (an insert, a query, another table).
    /// </summary>
    internal static string GrainTypeOf(Uri uri)
    {
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        const string marker = "PartitionKey='";
        var at = path.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return "(none)";
        }

        var parts = path[(at + marker.Length)..].Split('_', 3);
        return parts.Length == 3 ? parts[1] : "(none)";
    }

    private sealed class CountingPolicy : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            var uri = message.Request.Uri.ToUri();
            var tableName = TableOf(uri);
            var table = new KeyValuePair<string, object?>("table", tableName);

            // Only grain state rows name a grain type in their key; an insert names no key in its URI.
            var grainType = tableName == Contracts.StorageNames.GrainStateTable ? GrainTypeOf(uri) : "(other)";
            var grain = new KeyValuePair<string, object?>("grain", grainType == "(none)" ? "(insert)" : grainType);
            if (message.Request.Method == RequestMethod.Get || message.Request.Method == RequestMethod.Head)
            {
                Reads.Add(1, table, grain);
            }
            else
            {
                Writes.Add(1, table, grain);
            }
        }
    }
}
