using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansSettlement.Hosting;

namespace OrleansSettlement.Api.Health;

/// <summary>Azure Table storage answers: lists at most one table (one request, no retries, a short timeout).</summary>
internal sealed partial class StorageHealthCheck(StorageSettings storage, ILogger<StorageHealthCheck> logger) : IHealthCheck
{
    public const string Name = "storage";

    private readonly TableServiceClient _tables = storage.CreateTableServiceClient(new TableClientOptions
    {
        Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(3), Mode = RetryMode.Fixed },
    });

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await foreach (var _ in _tables.QueryAsync(filter: (string?)null, maxPerPage: 1, cancellationToken).AsPages().ConfigureAwait(false))
            {
                break;
            }

            return HealthCheckResult.Healthy("Azure Table storage answered.");
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, exception.GetType().Name);
            // Only fixed words go out: exception messages can quote endpoints and request headers.
            return HealthCheckResult.Unhealthy($"Azure Table storage did not answer ({exception.GetType().Name}).");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage health check failed: {ErrorType}")]
    private static partial void LogUnreachable(ILogger logger, string errorType);
}
