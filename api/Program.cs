using OrleansSettlement.Api;
using OrleansSettlement.Hosting;

// The API host. Configuration comes from environment variables and the command line
// (e.g. ConnectionStrings__Storage, Orleans__ClusterId, --urls); see ApiHost.
try
{
    await using var app = ApiHost.Build(args);
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (HostConfigurationException exception)
{
    await Console.Error.WriteLineAsync("api: configuration error: " + exception.Message).ConfigureAwait(false);
    return 2;
}
