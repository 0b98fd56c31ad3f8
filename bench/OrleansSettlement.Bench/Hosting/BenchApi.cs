using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Api;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>
/// The real partner API (<see cref="ApiHost"/>) on Kestrel at a free loopback port in the bench process, an Orleans
/// client of the bench's silo, configured with a fresh admin token's hash; and an SDK client for it.
/// </summary>
internal sealed class BenchApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchApi(WebApplication app, HttpClient http, BearerToken admin)
    {
        _app = app;
        Http = http;
        Client = new SettlementClient(http);
        AdminToken = admin;
    }

    public HttpClient Http { get; }

    public SettlementClient Client { get; }

    public BearerToken AdminToken { get; }

    public static async Task<BenchApi> StartAsync(string storageConnectionString, string clusterId, bool showLogs)
    {
        var admin = BearerToken.Create();
        var app = ApiHost.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Storage"] = storageConnectionString,
                ["Orleans:ClusterId"] = clusterId,
                ["Api:AdminTokenSha256"] = admin.Sha256,
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            if (showLogs)
            {
                builder.Logging.AddSimpleConsole(options => options.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            }
        });
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.First()
            ?? throw new BenchSetupException("Kestrel reports no address.");
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        var api = new BenchApi(app, http, admin);
        await api.WaitUntilReadyAsync().ConfigureAwait(false);
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await Http.GetAsync(new Uri("/health/ready", UriKind.Relative)).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening or not connected to the cluster yet.
            }

            await Task.Delay(250).ConfigureAwait(false);
        }

        throw new BenchSetupException("the API did not become ready within 60 s.");
    }
}
