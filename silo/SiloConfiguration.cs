using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Storage;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Grains.Diagnostics;
using OrleansSettlement.Hosting;
using OrleansSettlement.KeyVault;

namespace OrleansSettlement.Silo;

/// <summary>
/// The silo's whole Orleans wiring in one place, so that the silo host and the tests build exactly the same silo:
/// Azure Table clustering, Azure Table grain storage (<see cref="StorageNames.GrainState"/>, also the default
/// provider) and Azure Table reminders, all on the storage named by configuration.
/// </summary>
public static class SiloConfiguration
{
    /// <summary>The OTLP endpoint setting (the OpenTelemetry SDK's environment variable, read through configuration).</summary>
    public const string OtlpEndpointSetting = HostTelemetry.OtlpEndpointSetting;

    /// <summary>The Azure Monitor (Application Insights) connection string setting.</summary>
    public const string AzureMonitorConnectionStringSetting = HostTelemetry.AzureMonitorConnectionStringSetting;

    /// <summary>How long one try of a storage request may take before it is cut and retried (Azure.Core's default is 100 s).</summary>
    public static readonly TimeSpan StorageRequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The service name the silo's telemetry carries.</summary>
    public const string TelemetryServiceName = "osettle-silo";

    /// <summary>Configures <paramref name="silo"/> from <paramref name="configuration"/>.</summary>
    /// <remarks>
    /// Configuration: <c>ConnectionStrings:Storage</c> (or <c>Storage:TableEndpoint</c> with a managed identity),
    /// <c>Orleans:ClusterId</c>, <c>Orleans:ServiceId</c>, <c>Orleans:SiloPort</c>, <c>Orleans:GatewayPort</c>,
    /// <c>Orleans:AdvertisedIPAddress</c>, <c>Orleans:ListenOnAnyHostAddress</c>. A missing or wrong value throws
    /// an exception whose message names the setting (and never holds a secret).
    /// </remarks>
    public static ISiloBuilder Configure(ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configuration);

        // Azure.Core's activity sources (Azure.Core.Http per request, Azure.* per client call) read their switch once per
        // process: turn it on before the first Azure client below is built.
        KeyVaultKeysClient.EnableAzureActivitySource();
        HostTelemetry.Add(silo.Services, configuration, TelemetryServiceName, [CheckoutTelemetry.RootSpanName], traceEveryIncomingRequest: false);

        // Grain calls carry the caller's trace context (W3C traceparent in the request context), so a checkout's steps,
        // storage requests and Key Vault calls all land in the checkout's trace. Nearly free when nobody listens.
        silo.AddActivityPropagation();

        var storage = StorageSettings.FromConfiguration(configuration);
        var cluster = ClusterSettings.FromConfiguration(configuration);
        var endpoints = SiloEndpointSettings.FromConfiguration(configuration);

        // One table service client (one HTTP pipeline) for membership, grain state and reminders. A storage request that
        // hangs keeps its grain busy for as long as it waits, and Azure.Core waits 100 s per try by default: more than
        // three times Orleans' 30 s response timeout, so every caller gives up long before the grain is free again (seen
        // in the chaos runner when Azurite restarts under open connections). Table point operations take milliseconds;
        // a try that has not answered in 10 s is cut and retried (Azure.Core's retry policy, 3 retries, exponential).
        var tableOptions = new Azure.Data.Tables.TableClientOptions();
        tableOptions.Retry.NetworkTimeout = StorageRequestTimeout;
        var tables = storage.CreateTableServiceClient(StorageMetrics.Instrument(tableOptions));

        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = cluster.ClusterId;
            options.ServiceId = cluster.ServiceId;
        });
        silo.ConfigureEndpoints(endpoints.AdvertisedIPAddress, endpoints.SiloPort, endpoints.GatewayPort, endpoints.ListenOnAnyHostAddress);

        silo.UseAzureStorageClustering(options =>
        {
            options.TableName = StorageNames.MembershipTable;
            options.TableServiceClient = tables;
        });

        // The named provider every grain uses, and the same table as the default provider, so that a grain
        // declared without a provider name still lands in Azure Table storage rather than failing at activation.
        silo.AddAzureTableGrainStorage(StorageNames.GrainState, options =>
        {
            options.TableName = StorageNames.GrainStateTable;
            options.TableServiceClient = tables;
        });
        silo.AddAzureTableGrainStorageAsDefault(options =>
        {
            options.TableName = StorageNames.GrainStateTable;
            options.TableServiceClient = tables;
        });

        silo.UseAzureTableReminderService(options =>
        {
            options.TableName = StorageNames.RemindersTable;
            options.TableServiceClient = tables;
        });

        // Grain state is written with the Orleans serializer (the [GenerateSerializer]/[Id] contract of every state
        // type) rather than the default JSON one, which records compiler-generated collection types it cannot read
        // back (docs/adr/0005-grain-state-encoding.md).
        silo.Services.Replace(ServiceDescriptor.Singleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>());

        // Counts every call the service's grains receive (the cost of a checkout in grain calls).
        silo.AddIncomingGrainCallFilter<Diagnostics.GrainCallMetrics>();

        // The grains' own options (sections "Banking" and "Checkout") and the clock they read.
        silo.Services.AddBankingGrains(configuration);

        // The note signer per bank: Signing:Institutions:{institution} (Kind=KeyVault, VaultUri, KeyName[, KeyVersion]) or
        // the development signer (keys in grain state) when a bank has no such section.
        silo.Services.TryAddSingleton<INoteKeySource>(sp => new ConfiguredNoteKeySource(configuration, sp));
        silo.Services.AddCheckoutGrains(configuration);

        silo.Services.AddSingleton(new SiloStartupSummary(cluster, endpoints, storage.Describe()));
        silo.Services.AddHostedService<SiloStartupLogger>();
        return silo;
    }

}

/// <summary>What the silo logs once it has joined the cluster (no secrets).</summary>
internal sealed record SiloStartupSummary(ClusterSettings Cluster, SiloEndpointSettings Endpoints, string Storage);

/// <summary>Logs one line when the host has started: which cluster, which ports, which storage.</summary>
internal sealed partial class SiloStartupLogger(SiloStartupSummary summary, IHostApplicationLifetime lifetime, ILogger<SiloStartupLogger> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => LogStarted(
            logger,
            summary.Cluster.ClusterId,
            summary.Cluster.ServiceId,
            summary.Endpoints.AdvertisedIPAddress.ToString(),
            summary.Endpoints.SiloPort,
            summary.Endpoints.GatewayPort,
            summary.Storage));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo started: cluster {ClusterId}, service {ServiceId}, address {Address}, silo port {SiloPort}, gateway port {GatewayPort}, storage: {Storage}")]
    private static partial void LogStarted(ILogger logger, string clusterId, string serviceId, string address, int siloPort, int gatewayPort, string storage);
}
