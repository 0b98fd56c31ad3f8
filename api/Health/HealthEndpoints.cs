using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrleansSettlement.Api.Health;

/// <summary>
/// The health endpoints: <c>/health/live</c> (the process answers) and <c>/health/ready</c> (storage, the cluster and the
/// note signers answer). The Container Apps probes of deploy/bicep use both.
/// </summary>
/// <remarks>
/// They are ordinary minimal-API endpoints (not <c>MapHealthChecks</c>) so that they appear in the OpenAPI document.
/// </remarks>
public static class HealthEndpoints
{
    /// <summary>The tag every readiness check carries.</summary>
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/health").WithTags("Health");

        group.MapGet("/live", Live)
            .WithName("GetLiveness")
            .WithSummary("The process is up.")
            .WithDescription("Answers 200 while the API process runs, whatever the state of storage and the cluster.");

        group.MapGet("/ready", ReadyAsync)
            .WithName("GetReadiness")
            .WithSummary("Storage, the Orleans cluster and the note signers answer.")
            .WithDescription("Answers 200 when every check is Healthy or Degraded (a bank's Key Vault key did not answer: only minting waits), 503 when one is Unhealthy. Each check is named with its status.")
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);

        return endpoints;
    }

    private static Ok<HealthResponse> Live() => TypedResults.Ok(new HealthResponse(nameof(HealthStatus.Healthy), 0, []));

    private static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> ReadyAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(check => check.Tags.Contains(ReadyTag), cancellationToken).ConfigureAwait(false);
        var response = new HealthResponse(
            report.Status.ToString(),
            report.TotalDuration.TotalMilliseconds,
            [.. report.Entries.Select(entry => new HealthCheckEntry(
                entry.Key,
                entry.Value.Status.ToString(),
                entry.Value.Description,
                entry.Value.Duration.TotalMilliseconds,
                entry.Value.Data.Count == 0 ? null : entry.Value.Data))]);
        // Degraded still serves: the signer check reports a vault that does not answer that way (see SignerHealthCheck).
        return report.Status != HealthStatus.Unhealthy
            ? TypedResults.Ok(response)
            : TypedResults.Json(response, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary>A health answer: the overall status (Healthy, Degraded or Unhealthy) and each check's own.</summary>
public sealed record HealthResponse(string Status, double DurationMilliseconds, IReadOnlyList<HealthCheckEntry> Checks);

/// <summary>
/// One check: its name, status, a short description (never a secret), how long it took, and any figures it reports
/// (the cluster check reports <c>activeSilos</c>).
/// </summary>
public sealed record HealthCheckEntry(string Name, string Status, string? Description, double DurationMilliseconds, IReadOnlyDictionary<string, object>? Data);
