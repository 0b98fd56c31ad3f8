using System.Diagnostics;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OrleansSettlement.Hosting;

/// <summary>
/// OpenTelemetry for both hosts (this file is compiled into the silo and the API): traces, metrics and logs, exported
/// over OTLP when <see cref="OtlpEndpointSetting"/> is set, to Azure Monitor when
/// <see cref="AzureMonitorConnectionStringSetting"/> is set, and to the console in the Development environment. With
/// none of these nothing is registered, so a host that exports nothing pays nothing beyond the activity sources'
/// "is anybody listening" checks.
/// </summary>
/// <remarks>
/// <para>Traced sources: the service's own (<c>OrleansSettlement.*</c>: checkout roots and steps, Key Vault operations),
/// the Azure SDK's (<c>Azure.*</c>: every Table request; the Key Vault client's HTTP attempts), Orleans' grain calls
/// (which carry the context from grain to grain; Orleans files calls to any interface whose namespace starts with
/// "Orleans" under <c>Microsoft.Orleans.Runtime</c>, so the service's own grains are there, beside the application
/// source) and Orleans' grain storage operations (<c>Microsoft.Orleans.Storage</c>). Metrics: every
/// <c>OrleansSettlement.*</c> meter (checkouts, steps, storage writes, signatures, grain calls, Key Vault).</para>
/// <para>Sampling (<see cref="TraceRootSampler"/>): a span with a parent follows its parent's decision; a span without
/// one is kept only when it is a root the host names (the checkout root), so Orleans' and the Azure SDK's background
/// traffic (membership probes, reminder and membership table polling) starts no traces of its own. The API also keeps
/// every incoming HTTP request, whether or not its caller sampled it.</para>
/// </remarks>
internal static class HostTelemetry
{
    /// <summary>The OTLP endpoint (the OpenTelemetry SDK's own variable; the exporter reads its other OTEL_* settings too).</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The Application Insights connection string (Azure Monitor's own variable).</summary>
    public const string AzureMonitorConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The activity sources both hosts trace.</summary>
    public static readonly string[] TracedSources =
        ["OrleansSettlement.*", "Azure.*", "Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Storage"];

    /// <summary>The meters both hosts export.</summary>
    public static readonly string[] ExportedMeters = ["OrleansSettlement.*"];

    /// <summary>
    /// Registers OpenTelemetry in <paramref name="services"/> as configured; returns false (and registers nothing) when no
    /// exporter is configured. <paramref name="rootSpanNames"/> are the parentless spans of this host worth a trace;
    /// <paramref name="traceEveryIncomingRequest"/> keeps every incoming request too, with or without a (sampled)
    /// traceparent (the API, for partners' requests; never the silo, whose incoming calls without a sampled parent are
    /// Orleans' own). <paramref name="tracing"/> and <paramref name="metrics"/> add the host's own instrumentation.
    /// </summary>
    public static bool Add(
        IServiceCollection services,
        IConfiguration configuration,
        string serviceName,
        IReadOnlyCollection<string> rootSpanNames,
        bool traceEveryIncomingRequest,
        Action<TracerProviderBuilder>? tracing = null,
        Action<MeterProviderBuilder>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]);
        var azureMonitor = configuration[AzureMonitorConnectionStringSetting] is { Length: > 0 } connectionString && !string.IsNullOrWhiteSpace(connectionString)
            ? connectionString
            : null;
        var console = string.Equals(configuration[HostDefaults.EnvironmentKey], Environments.Development, StringComparison.OrdinalIgnoreCase);
        if (!otlp && azureMonitor is null && !console)
        {
            return false;
        }

        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService(serviceName));
        telemetry.WithTracing(builder =>
        {
            builder.AddSource(TracedSources);
            tracing?.Invoke(builder);
            if (otlp)
            {
                builder.AddOtlpExporter();
            }

            if (azureMonitor is not null)
            {
                builder.AddAzureMonitorTraceExporter(options => options.ConnectionString = azureMonitor);
            }

            if (console)
            {
                builder.AddConsoleExporter();
            }

            // Last, so that it also replaces a sampler an exporter may have set (Azure Monitor's rate limiting).
            builder.SetSampler(new TraceRootSampler(rootSpanNames, traceEveryIncomingRequest));
        });
        telemetry.WithMetrics(builder =>
        {
            builder.AddMeter(ExportedMeters);
            metrics?.Invoke(builder);
            if (otlp)
            {
                builder.AddOtlpExporter();
            }

            if (azureMonitor is not null)
            {
                builder.AddAzureMonitorMetricExporter(options => options.ConnectionString = azureMonitor);
            }

            if (console)
            {
                builder.AddConsoleExporter();
            }
        });

        // Logs go to the collectors with their trace and span ids; the console keeps its own logger in development.
        if (otlp || azureMonitor is not null)
        {
            telemetry.WithLogging(
                builder =>
                {
                    if (otlp)
                    {
                        builder.AddOtlpExporter();
                    }

                    if (azureMonitor is not null)
                    {
                        builder.AddAzureMonitorLogExporter(options => options.ConnectionString = azureMonitor);
                    }
                },
                options => options.IncludeFormattedMessage = true);
        }

        return true;
    }
}

/// <summary>
/// Keeps a span when its parent was kept, and a parentless span only when it is one of the named roots (the checkout
/// root): background traffic with no request behind it starts no trace. With <paramref name="traceEveryIncomingRequest"/>,
/// an incoming request (kind Server, no parent or a remote one) is kept whatever its caller decided: a partner's
/// sampling does not decide what the service records.
/// </summary>
internal sealed class TraceRootSampler(IReadOnlyCollection<string> rootSpanNames, bool traceEveryIncomingRequest) : Sampler
{
    private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Skip = new(SamplingDecision.Drop);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        var parent = samplingParameters.ParentContext;
        var incoming = traceEveryIncomingRequest && samplingParameters.Kind == ActivityKind.Server && (parent.TraceId == default || parent.IsRemote);
        if (parent.TraceId != default)
        {
            return incoming || (parent.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? Keep : Skip;
        }

        return incoming || rootSpanNames.Contains(samplingParameters.Name) ? Keep : Skip;
    }
}
