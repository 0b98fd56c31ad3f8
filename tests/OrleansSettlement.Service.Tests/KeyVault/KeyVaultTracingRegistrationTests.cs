using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.KeyVault;

/// <summary>The silo registers OpenTelemetry tracing (Azure.* and OrleansSettlement.* sources, OTLP) only with an OTLP endpoint.</summary>
public sealed class KeyVaultTracingRegistrationTests
{
    [Fact]
    public void Silo_WithoutAnOtlpEndpoint_RegistersNoTracing()
    {
        using var host = BuildSilo(otlpEndpoint: null);

        Assert.Null(host.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void Silo_WithAnOtlpEndpoint_RegistersTracing()
    {
        using var host = BuildSilo(otlpEndpoint: "http://127.0.0.1:4317");

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.True((AppContext.TryGetSwitch("Azure.Experimental.EnableActivitySource", out var enabled) && enabled)
            || Environment.GetEnvironmentVariable("AZURE_EXPERIMENTAL_ENABLE_ACTIVITY_SOURCE") is not null);
    }

    private static IHost BuildSilo(string? otlpEndpoint)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Storage"] = "UseDevelopmentStorage=true",
            ["Orleans:ClusterId"] = "tracing-" + Guid.NewGuid().ToString("N")[..8],
            [SiloConfiguration.OtlpEndpointSetting] = otlpEndpoint,
        });
        builder.UseOrleans(silo => SiloConfiguration.Configure(silo, builder.Configuration));
        return builder.Build();
    }
}
