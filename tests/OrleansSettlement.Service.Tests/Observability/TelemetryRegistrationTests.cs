using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OrleansSettlement.Service.Tests.Infrastructure;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Observability;

/// <summary>
/// Which exporters the hosts register, by configuration: none without a setting (startup stays cheap), otherwise traces
/// and metrics for OTLP (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), Azure Monitor (<c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>)
/// or the console (the Development environment). The hosts are built, never started.
/// </summary>
public sealed class TelemetryRegistrationTests
{
    /// <summary>A syntactically valid connection string whose endpoint nothing listens on.</summary>
    private const string UnreachableAzureMonitor = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/";

    [Fact]
    public void Silo_WithNoTelemetrySetting_RegistersNoProviders()
    {
        using var host = BuildSilo([]);

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Theory]
    [InlineData(SiloConfiguration.OtlpEndpointSetting, "http://127.0.0.1:4317")]
    [InlineData(SiloConfiguration.AzureMonitorConnectionStringSetting, UnreachableAzureMonitor)]
    [InlineData("environment", "Development")]
    public void Silo_WithATelemetrySetting_RegistersTracesAndMetrics(string setting, string value)
    {
        using var host = BuildSilo(new() { [setting] = value });

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task Api_WithNoTelemetrySetting_RegistersNoProviders()
    {
        await using var api = ServiceFixture.BuildApi("UseDevelopmentStorage=true", "telemetry-" + Guid.NewGuid().ToString("N")[..8]);

        Assert.Null(api.Services.GetService<TracerProvider>());
        Assert.Null(api.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task Api_WithAnOtlpEndpoint_RegistersTracesAndMetrics()
    {
        await using var api = ServiceFixture.BuildApi("UseDevelopmentStorage=true", "telemetry-" + Guid.NewGuid().ToString("N")[..8], new Dictionary<string, string?>
        {
            [SiloConfiguration.OtlpEndpointSetting] = "http://127.0.0.1:4317",
        });

        Assert.NotNull(api.Services.GetService<TracerProvider>());
        Assert.NotNull(api.Services.GetService<MeterProvider>());
    }

    private static IHost BuildSilo(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Storage"] = "UseDevelopmentStorage=true",
            ["Orleans:ClusterId"] = "telemetry-" + Guid.NewGuid().ToString("N")[..8],
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(silo => SiloConfiguration.Configure(silo, builder.Configuration));
        return builder.Build();
    }
}
