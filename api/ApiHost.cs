using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansSettlement.Api.Diagnostics;
using OrleansSettlement.Api.Endpoints;
using OrleansSettlement.Api.Health;
using OrleansSettlement.Api.Hosting;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Api.OpenApi;
using OrleansSettlement.Api.Security;
using OrleansSettlement.Contracts;
using OrleansSettlement.Hosting;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Api;

/// <summary>
/// Builds the API application: Kestrel, an Orleans client on Azure Table clustering, the partner routes under <c>/v1</c>
/// (see docs/api.md), health endpoints, the OpenAPI document and RFC 9457 problem details for every error. The host's <c>Program</c> and the tests both use it, so the
/// tests run the real application on a real socket.
/// </summary>
public static class ApiHost
{
    /// <summary>The address the API listens on when configuration names none (<c>urls</c> / <c>ASPNETCORE_URLS</c>).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The service name the API's telemetry carries.</summary>
    public const string TelemetryServiceName = "osettle-api";

    /// <summary>Builds the application; <paramref name="configure"/> runs before any setting is read (tests add configuration there).</summary>
    /// <remarks>
    /// Configuration: <c>ConnectionStrings:Storage</c> (or <c>Storage:TableEndpoint</c> with a managed identity),
    /// <c>Orleans:ClusterId</c>, <c>Orleans:ServiceId</c>, <c>urls</c>, and the <c>Api</c> section (<see cref="ApiOptions"/>:
    /// <c>Api:AdminTokenSha256</c>, body limits, the replay cache, forwarded headers). Endpoints may be added to the
    /// returned application before it starts.
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
        ApiTelemetry.Add(builder);

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

            // Grain calls made for a request carry its trace context into the silo.
            client.AddActivityPropagation();
        });

        builder.Services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>(StorageHealthCheck.Name, tags: [HealthEndpoints.ReadyTag], timeout: TimeSpan.FromSeconds(10))
            .AddCheck<ClusterHealthCheck>(ClusterHealthCheck.Name, tags: [HealthEndpoints.ReadyTag], timeout: TimeSpan.FromSeconds(10))
            .AddCheck<SignerHealthCheck>(SignerHealthCheck.Name, tags: [HealthEndpoints.ReadyTag], timeout: TimeSpan.FromSeconds(10));
        // One instance for the host's life: it caches which Key Vault keys answered.
        builder.Services.AddSingleton<SignerHealthCheck>();

        builder.Services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.SectionName));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(provider => new NonceCache(Math.Max(1, provider.GetRequiredService<IOptions<ApiOptions>>().Value.ReplayCacheEntries)));
        builder.Services.AddSingleton<Authenticator>();
        builder.Services.AddSingleton<ApiPipeline>();
        builder.Services.ConfigureHttpJsonOptions(options => ApiJson.Configure(options.SerializerOptions));

        builder.Services.AddExceptionHandler<TransientFailureHandler>();
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            // Never send internals: no exception message, type or stack, in any environment.
            context.ProblemDetails.Extensions.Remove("exception");
            if (context.ProblemDetails.Status >= StatusCodes.Status500InternalServerError)
            {
                context.ProblemDetails.Detail = null;
            }

            // Answers the routes do not give themselves (no such route, wrong method) carry a code like every refusal.
            if (context.ProblemDetails.Status is StatusCodes.Status404NotFound or StatusCodes.Status405MethodNotAllowed)
            {
                var code = ProtocolError.ToWireCode(ProtocolErrorCode.NotFound);
                context.ProblemDetails.Type = Problems.TypeBase + code;
                context.ProblemDetails.Title = Problems.TitleOf(code);
                context.ProblemDetails.Detail ??= context.ProblemDetails.Status == StatusCodes.Status404NotFound
                    ? "there is no such route; the routes are listed in /openapi/v1.json."
                    : $"this route does not take {context.HttpContext.Request.Method}; the routes are listed in /openapi/v1.json.";
                context.ProblemDetails.Extensions.TryAdd("code", code);
            }

            // A body whose Content-Type a route does not take (routing answers 415 before the route runs).
            if (context.ProblemDetails.Status is StatusCodes.Status415UnsupportedMediaType)
            {
                var code = ProtocolError.ToWireCode(ProtocolErrorCode.UnsupportedMediaType);
                context.ProblemDetails.Type = Problems.TypeBase + code;
                context.ProblemDetails.Title = Problems.TitleOf(code);
                context.ProblemDetails.Detail ??= "this route takes a JSON body: send it with Content-Type: application/json (or without a Content-Type).";
                context.ProblemDetails.Extensions.TryAdd("code", code);
            }

            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions.TryAdd("traceId", context.HttpContext.Features.Get<IHttpActivityFeature>()?.Activity.Id ?? context.HttpContext.TraceIdentifier);
        });

        builder.Services.AddOpenApi(options => ApiDocumentation.Configure(options));

        var apiOptions = builder.Configuration.GetSection(ApiOptions.SectionName).Get<ApiOptions>() ?? new ApiOptions();
        if (apiOptions.MaxBodyBytes < 1024 || apiOptions.MaxBundleBodyBytes < apiOptions.MaxBodyBytes || apiOptions.ReplayCacheEntries < 1)
        {
            throw new HostConfigurationException($"{ApiOptions.SectionName}:{nameof(ApiOptions.MaxBodyBytes)} must be at least 1024, {nameof(ApiOptions.MaxBundleBodyBytes)} at least that, and {nameof(ApiOptions.ReplayCacheEntries)} at least 1.");
        }

        var forwarded = apiOptions.ForwardedHeaders ? ForwardedHeadersFor(apiOptions) : null;
        var app = builder.Build();
        if (forwarded is not null)
        {
            app.UseForwardedHeaders(forwarded);
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UsePages();
        app.MapOpenApi();
        ApiDocumentation.MapReference(app);
        app.MapHealthEndpoints();
        var v1 = app.MapGroup("/v1");
        v1.MapInstitutionEndpoints();
        v1.MapStoreEndpoints();
        v1.MapWalletEndpoints();
        v1.MapLobbyEndpoints();
        v1.MapEventsEndpoints();
        v1.MapPagesEndpoints();
        app.Lifetime.ApplicationStarted.Register(() => LogStarted(app, cluster, storage));
        return app;
    }

    private static ForwardedHeadersOptions ForwardedHeadersFor(ApiOptions api)
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedPrefix,
        };
        foreach (var proxy in api.KnownProxies)
        {
            options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                ? address
                : throw new HostConfigurationException($"{ApiOptions.SectionName}:{nameof(ApiOptions.KnownProxies)} holds '{proxy}', which is not an IP address."));
        }

        foreach (var network in api.KnownNetworks)
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                ? parsed
                : throw new HostConfigurationException($"{ApiOptions.SectionName}:{nameof(ApiOptions.KnownNetworks)} holds '{network}', which is not a network in CIDR notation (10.0.0.0/8)."));
        }

        return options;
    }

    private static void LogStarted(WebApplication app, ClusterSettings cluster, StorageSettings storage)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiHost));
        ApiHostLog.Started(logger, string.Join(", ", app.Urls), cluster.ClusterId, cluster.ServiceId, storage.Describe());
        var admin = app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.AdminTokenSha256;
        if (string.IsNullOrWhiteSpace(admin))
        {
            ApiHostLog.NoAdmin(logger);
        }
    }
}

internal static partial class ApiHostLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "API listening on {Urls}: cluster {ClusterId}, service {ServiceId}, storage: {Storage}")]
    public static partial void Started(ILogger logger, string urls, string clusterId, string serviceId, string storage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No admin credential is configured (Api:AdminTokenSha256): no request can create an institution")]
    public static partial void NoAdmin(ILogger logger);
}
