using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OrleansSettlement.Api.Hosting;

/// <summary>
/// Connects the Orleans client in the background, so that the API starts (and answers <c>/health/live</c>)
/// even when no silo is up yet; <c>/health/ready</c> reports the cluster unhealthy until the client is connected.
/// Orleans registers its client as a hosted service whose start blocks the host until it connects or gives up
/// (about 15 attempts); <see cref="Register"/> replaces that registration with this service, which starts the
/// same client with retries that go on until the host stops.
/// </summary>
internal sealed partial class ClusterConnection(IClusterClient client, ILogger<ClusterConnection> logger) : BackgroundService
{
    private volatile bool _connected;

    /// <summary>True once the client has connected to a gateway; it then reconnects by itself.</summary>
    public bool IsConnected => _connected;

    private IHostedService ClientService => (IHostedService)client;

    /// <summary>Adds the Orleans client to <paramref name="builder"/> with background connection and endless retries.</summary>
    public static void Register(IHostApplicationBuilder builder, Action<IClientBuilder> configureClient)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var before = services.Where(descriptor => descriptor.ServiceType == typeof(IHostedService)).ToHashSet();
        builder.UseOrleansClient(client =>
        {
            configureClient(client);
            client.UseConnectionRetryFilter<RetryForever>();
        });

        // Remove the hosted service Orleans added for its client: this class starts the client instead.
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(IHostedService) && !before.Contains(d)).ToList())
        {
            services.Remove(descriptor);
        }

        services.TryAddSingleton<ClusterConnection>();
        services.AddHostedService(provider => provider.GetRequiredService<ClusterConnection>());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ClientService.StartAsync(stoppingToken).ConfigureAwait(false);
            _connected = true;
            LogConnected(logger);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping before the cluster was reached.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_connected)
        {
            _connected = false;
            await ClientService.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the Orleans cluster")]
    private static partial void LogConnected(ILogger logger);

    /// <summary>Retries the initial connection until the host stops, waiting 1, 2, 3, 4, then 5 seconds between attempts.</summary>
    private sealed partial class RetryForever(ILogger<RetryForever> logger) : IClientConnectionRetryFilter
    {
        private int _attempts;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            var attempt = Interlocked.Increment(ref _attempts);
            var delay = TimeSpan.FromSeconds(Math.Min(attempt, 5));
            // The type is enough to tell "no silo yet" from "storage unreachable"; the message may quote endpoints.
            LogRetrying(logger, attempt, exception.GetType().Name, delay.TotalSeconds);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            return true;
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Orleans cluster not reachable yet (attempt {Attempt}, {ErrorType}); retrying in {DelaySeconds} s")]
        private static partial void LogRetrying(ILogger logger, int attempt, string errorType, double delaySeconds);
    }
}
