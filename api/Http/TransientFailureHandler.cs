using Microsoft.AspNetCore.Diagnostics;

namespace OrleansSettlement.Api.Http;

/// <summary>
/// Turns the failures a request meets while the cluster is changing (a silo that died, a gateway not yet reconnected, a
/// call that timed out, storage that failed under a grain) into 503 problem details with <c>Retry-After</c>, logged as a warning without a stack trace.
/// Every operation is idempotent by its Idempotency-Key, so a client retries with the same key; an unexpected
/// exception still gets the plain 500 of the default handler.
/// </summary>
internal sealed partial class TransientFailureHandler(ILogger<TransientFailureHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client waits before retrying; about one membership probe round.</summary>
    public const int RetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (!IsTransient(exception))
        {
            return false;
        }

        LogTransient(logger, httpContext.Request.Method, httpContext.Request.Path.Value ?? "", exception.GetType().Name);
        var answer = Problems.Unavailable(httpContext, "the service is briefly unavailable while the cluster recovers; retry with the same Idempotency-Key.");
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await answer.ToResult().ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }

    internal static bool IsTransient(Exception exception) => exception switch
    {
        SiloUnavailableException or OrleansMessageRejectionException or GatewayTooBusyException or TimeoutException => true,

        // Storage that failed or throttled under a grain (the grain's operation failed as a whole and changed nothing,
        // docs/architecture.md "Why the commit cannot split"), or a write that met a newer row (the grain reloaded it).
        Azure.RequestFailedException { Status: 0 or 408 or 429 or >= 500 } => true,
        Orleans.Storage.InconsistentStateException => true,
        Orleans.Runtime.Messaging.ConnectionFailedException or Orleans.Networking.Shared.SocketConnectionException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsTransient),
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} failed while the cluster is unavailable ({Exception}); answered 503")]
    private static partial void LogTransient(ILogger logger, string method, string path, string exception);
}
