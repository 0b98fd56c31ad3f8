using OrleansSettlement.Hosting;
using OrleansSettlement.Silo;

// The Orleans silo host. Configuration comes from environment variables and the command line
// (e.g. ConnectionStrings__Storage, Orleans__SiloPort, Orleans__GatewayPort); see SiloConfiguration.
// SIGTERM and Ctrl-C stop the silo gracefully (it leaves the cluster and hands its grains over).
try
{
    var builder = Host.CreateApplicationBuilder(args);
    LoggingDefaults.AddTo(builder.Configuration);
    builder.UseOrleans(silo => SiloConfiguration.Configure(silo, builder.Configuration));
    using var host = builder.Build();
    await host.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (HostConfigurationException exception)
{
    await Console.Error.WriteLineAsync("silo: configuration error: " + exception.Message).ConfigureAwait(false);
    return 2;
}
