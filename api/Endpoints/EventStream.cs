using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace OrleansSettlement.Api.Endpoints;

/// <summary>One batch read from a grain: the events after the id asked for, the newest id, and whether some were missed.</summary>
internal sealed record EventBatch(IReadOnlyList<(long Seq, string Type, object Data)> Events, long Latest, bool Gap);

/// <summary>
/// Writes a feed as Server-Sent Events, or answers one long poll. The events live in grain state (see
/// <c>WalletGrain.Events.cs</c>, <c>CheckoutGrain.Live.cs</c>); this side reads them with a read-only grain call every
/// <see cref="PollInterval"/> and pushes what is new, so nothing is held in the API and any instance can serve any
/// client (ADR 0011).
/// </summary>
internal static class EventStream
{
    public const string MediaType = "text/event-stream";

    public const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>How often an open stream or poll reads the grain.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long one stream stays open; the client reconnects with <c>Last-Event-ID</c> (and, for a wallet, a
    /// fresh signature, whose <c>created</c> must be recent).</summary>
    public static readonly TimeSpan MaxStreamDuration = TimeSpan.FromMinutes(4);

    /// <summary>A comment line this often keeps proxies from closing an idle stream.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    /// <summary>The longest a long poll waits.</summary>
    public const int MaxWaitSeconds = 25;

    /// <summary>The event id to continue after: <c>Last-Event-ID</c>, else <c>?after=</c>, else 0 (from the start).</summary>
    public static long? ReadAfter(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var text = http.Request.Headers[LastEventIdHeader].ToString();
        if (string.IsNullOrEmpty(text))
        {
            text = http.Request.Query["after"].ToString();
        }

        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        return text.Length <= 18 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var after) ? after : null;
    }

    /// <summary>Streams the feed until the client goes, <see cref="MaxStreamDuration"/> passes or the cluster stays unreachable.</summary>
    public static async Task StreamAsync(HttpContext http, long after, Func<long, Task<EventBatch>> read, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(read);
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType;
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var aborted = http.RequestAborted;
        await WriteAsync(response, "retry: 1000\n\n", aborted).ConfigureAwait(false);

        var started = DateTimeOffset.UtcNow;
        var lastWrite = started;
        var failures = 0;
        try
        {
            while (!aborted.IsCancellationRequested && DateTimeOffset.UtcNow - started < MaxStreamDuration)
            {
                EventBatch batch;
                try
                {
                    batch = await read(after).ConfigureAwait(false);
                    failures = 0;
                }
                catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
                {
                    // The silo holding the grain may be going away: try again a few times, then end the stream (the
                    // client reconnects with Last-Event-ID and loses nothing).
                    EventStreamLog.ReadFailed(logger, exception);
                    if (++failures >= 20)
                    {
                        return;
                    }

                    await Task.Delay(PollInterval * 2, aborted).ConfigureAwait(false);
                    continue;
                }

                var text = Format(batch, ref after);
                if (text.Length > 0)
                {
                    await WriteAsync(response, text, aborted).ConfigureAwait(false);
                    lastWrite = DateTimeOffset.UtcNow;
                }
                else if (DateTimeOffset.UtcNow - lastWrite >= HeartbeatInterval)
                {
                    await WriteAsync(response, ": keep-alive\n\n", aborted).ConfigureAwait(false);
                    lastWrite = DateTimeOffset.UtcNow;
                }

                await Task.Delay(PollInterval, aborted).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    /// <summary>Reads until there is an event after <paramref name="after"/> or <paramref name="wait"/> has passed.</summary>
    public static async Task<EventBatch> PollAsync(long after, TimeSpan wait, Func<long, Task<EventBatch>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        var deadline = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            var batch = await read(after).ConfigureAwait(false);
            if (batch.Events.Count > 0 || batch.Gap || DateTimeOffset.UtcNow >= deadline)
            {
                return batch;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The SSE text of a batch; a gap first sends a <c>reset</c> event. Moves <paramref name="after"/> on.</summary>
    private static string Format(EventBatch batch, ref long after)
    {
        var text = new StringBuilder();
        if (batch.Gap)
        {
            Append(text, batch.Latest, "reset", new { seq = batch.Latest, type = "reset" });
            after = batch.Latest;
            return text.ToString();
        }

        foreach (var (seq, type, data) in batch.Events)
        {
            Append(text, seq, type, data);
            after = seq;
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, long seq, string type, object data) =>
        text.Append("id: ").Append(seq.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("event: ").Append(type).Append('\n')
            .Append("data: ").Append(Http.ApiJson.Serialize(data)).Append("\n\n");

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.WriteAsync(text, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}

internal static partial class EventStreamLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "An event stream could not read its grain; retrying")]
    public static partial void ReadFailed(ILogger logger, Exception exception);
}
