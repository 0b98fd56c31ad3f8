using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansSettlement.Api;
using OrleansSettlement.Hosting;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Deploy.Tests;

/// <summary>
/// The other half of the contract: the silo and the API, given exactly the environment the templates set (values known
/// only at deployment time replaced by stand-ins of the same shape), build in managed-identity mode with the ports,
/// cluster and signer settings the templates meant. A host that needed a setting the templates do not set, or refused
/// one they do set, fails here.
/// </summary>
public sealed class DeployedSettingsTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Silo_BuildsFromItsDeployedEnvironment_ListeningWhereTheIngressPoints(string environment)
    {
        var deployment = Deployment.Of(environment);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(Settings(deployment.EnvironmentOf(Deployment.SiloContainer)));
        builder.UseOrleans(silo => SiloConfiguration.Configure(silo, builder.Configuration));

        using var host = builder.Build();

        var details = host.Services.GetRequiredService<ILocalSiloDetails>();
        var ingress = deployment.App(Deployment.SiloContainer)["properties"]!["configuration"]!["ingress"]!;
        Assert.Equal(ingress["targetPort"]!.GetValue<int>(), details.SiloAddress.Endpoint.Port);
        Assert.Equal(ingress["additionalPortMappings"]![0]!["targetPort"]!.GetValue<int>(), details.GatewayAddress.Endpoint.Port);
        // Orleans__AdvertisedIPAddress=auto: the container's own address, which other silos and the API can reach.
        Assert.False(IPAddress.IsLoopback(details.SiloAddress.Endpoint.Address));
        var cluster = host.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(environment, cluster.ClusterId);
        Assert.Equal("orleans-settlement", cluster.ServiceId);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public async Task Api_BuildsFromItsDeployedEnvironment_WithTheSignerInItsReadiness(string environment)
    {
        var deployment = Deployment.Of(environment);
        var settings = Settings(deployment.EnvironmentOf(Deployment.ApiContainer));

        await using var app = ApiHost.Build([], builder => builder.Configuration.AddInMemoryCollection(settings));

        var cluster = app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal(environment, cluster.ClusterId);
        var api = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value;
        Assert.True(api.ForwardedHeaders);
        Assert.Equal(Bicep.AdminTokenSha256, api.AdminTokenSha256);
        var checks = app.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(check => check.Name);
        Assert.Equal(["storage", "cluster", "signer"], checks);
        var port = new Uri(settings["urls"]!.Replace("+", "localhost", StringComparison.Ordinal)).Port;
        Assert.Equal(deployment.App(Deployment.ApiContainer)["properties"]!["configuration"]!["ingress"]!["targetPort"]!.GetValue<int>(), port);
    }

    /// <summary>
    /// The container's environment as configuration: <c>__</c> as <c>:</c>, <c>ASPNETCORE_URLS</c> as <c>urls</c> (what
    /// ASP.NET Core's prefixed environment source does), deployment-time values and secrets replaced by stand-ins.
    /// </summary>
    private static Dictionary<string, string?> Settings(IReadOnlyList<EnvironmentVariable> variables)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var variable in variables)
        {
            var key = variable.Name == ConfigurationKeys.ApiUrls ? "urls" : variable.Key;
            settings[key] = variable.SecretRef is not null || variable.IsDeploymentTimeValue ? StandIn(variable) : variable.Value;
        }

        return settings;
    }

    private static string StandIn(EnvironmentVariable variable) => variable.Key switch
    {
        ConfigurationKeys.AzureClientId => "00000000-0000-0000-0000-0000000000c1",
        ConfigurationKeys.StorageTableEndpoint => "https://stosettle.table.core.windows.net/",
        ConfigurationKeys.StorageBlobEndpoint => "https://stosettle.blob.core.windows.net/",
        ConfigurationKeys.ApplicationInsightsConnectionString =>
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
        ConfigurationKeys.ApiAdminTokenSha256 => Bicep.AdminTokenSha256,
        _ when variable.Key.EndsWith(":" + ConfigurationKeys.SigningVaultUri, StringComparison.Ordinal) => "https://kv-osettle.vault.azure.net/",
        _ => throw new InvalidOperationException($"No stand-in for {variable.Name} ({variable.Value ?? "secret " + variable.SecretRef}): add one."),
    };
}
