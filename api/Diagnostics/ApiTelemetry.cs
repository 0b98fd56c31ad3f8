using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OrleansSettlement.Hosting;

namespace OrleansSettlement.Api.Diagnostics;

/// <summary>
/// The API's telemetry: the hosts' common OpenTelemetry setup (<see cref="HostTelemetry"/>: exporters chosen by
/// configuration, nothing registered without one) plus incoming HTTP requests (ASP.NET Core) and outgoing ones
/// (HttpClient), spans and metrics. Health probes are not traced: Container Apps calls them every few seconds.
/// </summary>
internal static class ApiTelemetry
{
    public static void Add(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        HostTelemetry.Add(
            builder.Services,
            builder.Configuration,
            ApiHost.TelemetryServiceName,
            rootSpanNames: [],
            traceEveryIncomingRequest: true,
            tracing: tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !context.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal))
                .AddHttpClientInstrumentation(),
            metrics: metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
    }
}
