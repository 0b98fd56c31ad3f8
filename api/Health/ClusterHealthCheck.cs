using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansSettlement.Api.Hosting;

namespace OrleansSettlement.Api.Health;

/// <summary>The Orleans cluster answers: the client is connected and the management grain lists at least one active silo.</summary>
internal sealed partial class ClusterHealthCheck(ClusterConnection connection, IClusterClient client, ILogger<ClusterHealthCheck> logger) : IHealthCheck
{
    public const string Name = "cluster";

    /// <summary>The check's data entry with the number of active silos.</summary>
    public const string ActiveSilosKey = "activeSilos";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!connection.IsConnected)
        {
            return HealthCheckResult.Unhealthy("Not connected to the Orleans cluster yet.");
        }

        try
        {
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)
                .WaitAsync(CallTimeout, cancellationToken).ConfigureAwait(false);
            var data = new Dictionary<string, object> { [ActiveSilosKey] = hosts.Count };
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s).", data)
                : HealthCheckResult.Unhealthy("The cluster has no active silo.", data: data);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, exception.GetType().Name);
            return HealthCheckResult.Unhealthy($"The Orleans cluster did not answer ({exception.GetType().Name}).");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster health check failed: {ErrorType}")]
    private static partial void LogFailed(ILogger logger, string errorType);
}
