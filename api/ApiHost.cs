using Microsoft.AspNetCore.Http.Features;
using Microsoft.OpenApi;
using Orleans.Configuration;
using OrleansSettlement.Api.Health;
using OrleansSettlement.Api.Hosting;
using OrleansSettlement.Contracts;
using OrleansSettlement.Hosting;

namespace OrleansSettlement.Api;

/// <summary>
/// Builds the API application: Kestrel, an Orleans client on Azure Table clustering, health endpoints, the OpenAPI
/// document and RFC 9457 problem details for every error. The host's <c>Program</c> and the tests both use it, so the
/// tests run the real application on a real socket.
/// </summary>
public static class ApiHost
{
    /// <summary>The address the API listens on when configuration names none (<c>urls</c> / <c>ASPNETCORE_URLS</c>).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Builds the application; <paramref name="configure"/> runs before any setting is read (tests add configuration there).</summary>
    /// <remarks>
    /// Configuration: <c>ConnectionStrings:Storage</c> (or <c>Storage:TableEndpoint</c> with a managed identity),
    /// <c>Orleans:ClusterId</c>, <c>Orleans:ServiceId</c>, <c>urls</c>. Endpoints may be added to the returned
    /// application before it starts.
    /// </remarks>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        LoggingDefaults.AddTo(builder.Configuration);
        configure?.Invoke(builder);

        if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var storage = StorageSettings.FromConfiguration(builder.Configuration);
        var cluster = ClusterSettings.FromConfiguration(builder.Configuration);
        builder.Services.AddSingleton(storage);

        ClusterConnection.Register(builder, client =>
        {
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = cluster.ClusterId;
                options.ServiceId = cluster.ServiceId;
            });
            client.UseAzureStorageClustering(options =>
            {
                options.TableName = StorageNames.MembershipTable;
                options.TableServiceClient = storage.CreateTableServiceClient();
            });
        });

        builder.Services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>(StorageHealthCheck.Name, tags: [HealthEndpoints.ReadyTag], timeout: TimeSpan.FromSeconds(10))
            .AddCheck<ClusterHealthCheck>(ClusterHealthCheck.Name, tags: [HealthEndpoints.ReadyTag], timeout: TimeSpan.FromSeconds(10));

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            // Never send internals: no exception message, type or stack, in any environment.
            context.ProblemDetails.Extensions.Remove("exception");
            if (context.ProblemDetails.Status >= StatusCodes.Status500InternalServerError)
            {
                context.ProblemDetails.Detail = null;
            }

            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions.TryAdd("traceId", context.HttpContext.Features.Get<IHttpActivityFeature>()?.Activity.Id ?? context.HttpContext.TraceIdentifier);
        });

        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "OrleansSettlement API",
                Version = "v1",
                Description = "Group payments settled all or nothing across banks. Errors are RFC 9457 problem details.",
            };
            return Task.CompletedTask;
        }));

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapHealthEndpoints();
        app.Lifetime.ApplicationStarted.Register(() => LogStarted(app, cluster, storage));
        return app;
    }

    private static void LogStarted(WebApplication app, ClusterSettings cluster, StorageSettings storage)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiHost));
        ApiHostLog.Started(logger, string.Join(", ", app.Urls), cluster.ClusterId, cluster.ServiceId, storage.Describe());
    }
}

internal static partial class ApiHostLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "API listening on {Urls}: cluster {ClusterId}, service {ServiceId}, storage: {Storage}")]
    public static partial void Started(ILogger logger, string urls, string clusterId, string serviceId, string storage);
}
