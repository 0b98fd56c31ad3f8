using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Silo;

namespace OrleansSettlement.Service.Tests.Infrastructure;

/// <summary>
/// The one way the whole-service tests build a silo: the real wiring (<see cref="SiloConfiguration"/>: Azure Table
/// clustering, grain storage and reminders) on the given storage and cluster, on free loopback ports, plus the test's
/// own settings (short periods, signer choices) and silo additions (call filters, replaced grains).
/// </summary>
internal static class TestSilo
{
    /// <summary>Builds (does not start) a silo host.</summary>
    public static IHost Build(string storageConnectionString, string clusterId, IDictionary<string, string?>? settings = null, Action<ISiloBuilder>? configure = null)
    {
        var ports = FreePorts.Take(2);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Storage"] = storageConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        if (ServiceFixture.ShowLogs)
        {
            builder.Logging.AddSimpleConsole(options => options.SingleLine = true);
        }

        builder.UseOrleans(silo =>
        {
            SiloConfiguration.Configure(silo, builder.Configuration);
            configure?.Invoke(silo);
        });
        return builder.Build();
    }
}
