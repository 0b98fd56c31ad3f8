using Microsoft.AspNetCore.Mvc;
using OrleansSettlement.Api.Hosting;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Api.Security;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Api.Endpoints;

/// <summary>
/// Live updates (docs/api.md, "Live updates"): a wallet's feed (agreements it leads, contributions arriving in its
/// mailbox, its challenges, notes, ended checkouts) and a checkout's feed (joins, the agreement, steps S2-S10, the
/// outcome), each as Server-Sent Events and as a long poll. Authentication is that of the matching GET routes.
/// </summary>
internal static class EventsEndpoints
{
    public static RouteGroupBuilder MapEventsEndpoints(this RouteGroupBuilder v1)
    {
        var wallets = v1.MapGroup("/wallets").WithTags("Live updates");
        wallets.MapGet("/{wallet}/events", WalletStream)
            .WithName("StreamWalletEvents")
            .WithSummary("The wallet's live events as Server-Sent Events (the wallet itself).")
            .WithDescription("text/event-stream: each event has `id` (the wallet's event number), `event` (its type) and `data` (a WalletEventResponse). Send `Last-Event-ID` (or `?after=`) to get exactly the events after that id; a `reset` event says events were missed that are no longer kept (read the wallet again). The stream ends after a few minutes: reconnect with a fresh signature and Last-Event-ID. Browsers read it with fetch(), since EventSource cannot sign requests.")
            .Produces<WalletEventResponse>(StatusCodes.Status200OK, EventStream.MediaType)
            .Documented(Access.WalletSelf, isPost: false, ProtocolErrorCode.InvalidField);

        wallets.MapGet("/{wallet}/events/poll", WalletPoll)
            .WithName("PollWalletEvents")
            .WithSummary("Long poll: the wallet's events after `after`, as soon as there is one, or none after `wait` seconds (the wallet itself).")
            .Produces<WalletEventsResponse>()
            .Documented(Access.WalletSelf, isPost: false, ProtocolErrorCode.InvalidField);

        var checkouts = v1.MapGroup("/stores").WithTags("Live updates");
        checkouts.MapGet("/{store}/checkouts/{checkoutId}/events", CheckoutStream)
            .WithName("StreamCheckoutEvents")
            .WithSummary("The checkout's live events as Server-Sent Events (the store, or any registered wallet).")
            .WithDescription("text/event-stream of CheckoutEventResponse: opened, joined, agreement, step (S2-S10), outcome (with the receipt or the abort reason). Event ids are stable: reconnect with `Last-Event-ID` to get exactly the events after it.")
            .Produces<CheckoutEventResponse>(StatusCodes.Status200OK, EventStream.MediaType)
            .Documented(Access.StoreOrWallet, isPost: false, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout, ProtocolErrorCode.InvalidField);

        checkouts.MapGet("/{store}/checkouts/{checkoutId}/events/poll", CheckoutPoll)
            .WithName("PollCheckoutEvents")
            .WithSummary("Long poll: the checkout's events after `after`, as soon as there is one, or none after `wait` seconds (the store, or any registered wallet).")
            .Produces<CheckoutEventsResponse>()
            .Documented(Access.StoreOrWallet, isPost: false, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout, ProtocolErrorCode.InvalidField);

        return v1;
    }

    private static async Task WalletStream(HttpContext http, string wallet, [FromServices] Authenticator auth, [FromServices] ApiPipeline api, [FromServices] ClusterConnection connection, [FromServices] ILogger<EventStreamMarker> logger)
    {
        if (await Authorize(http, connection, () => auth.WalletSelf(http, ReadOnlyMemory<byte>.Empty, wallet)).ConfigureAwait(false) is not { } after)
        {
            return;
        }

        await EventStream.StreamAsync(http, after, a => ReadWallet(api, wallet, a), logger).ConfigureAwait(false);
    }

    private static Task<IResult> WalletPoll(HttpContext http, string wallet, [FromQuery] string? wait, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.WalletSelf(http, ReadOnlyMemory<byte>.Empty, wallet), async _ =>
        {
            if (Checked(http, wait) is not { } query)
            {
                return BadQuery(http);
            }

            var batch = await EventStream.PollAsync(query.After, query.Wait, a => ReadWallet(api, wallet, a), http.RequestAborted).ConfigureAwait(false);
            return ApiAnswer.Ok(new WalletEventsResponse([.. batch.Events.Select(e => (WalletEventResponse)e.Data)], batch.Latest, batch.Gap));
        });

    private static async Task CheckoutStream(HttpContext http, string store, string checkoutId, [FromServices] Authenticator auth, [FromServices] ApiPipeline api, [FromServices] ClusterConnection connection, [FromServices] ILogger<EventStreamMarker> logger)
    {
        if (await Authorize(http, connection, () => auth.StoreOrWallet(http, store)).ConfigureAwait(false) is not { } after)
        {
            return;
        }

        if (await ReadCheckout(api, store, checkoutId, after).ConfigureAwait(false) is null)
        {
            await UnknownCheckout(http, store, checkoutId).ToResult().ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        await EventStream.StreamAsync(http, after, async a => await ReadCheckout(api, store, checkoutId, a).ConfigureAwait(false) ?? new EventBatch([], 0, true), logger).ConfigureAwait(false);
    }

    private static Task<IResult> CheckoutPoll(HttpContext http, string store, string checkoutId, [FromQuery] string? wait, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.StoreOrWallet(http, store), async _ =>
        {
            if (Checked(http, wait) is not { } query)
            {
                return BadQuery(http);
            }

            if (await ReadCheckout(api, store, checkoutId, query.After).ConfigureAwait(false) is null)
            {
                return UnknownCheckout(http, store, checkoutId);
            }

            var batch = await EventStream.PollAsync(query.After, query.Wait, async a => await ReadCheckout(api, store, checkoutId, a).ConfigureAwait(false) ?? new EventBatch([], 0, true), http.RequestAborted).ConfigureAwait(false);
            return ApiAnswer.Ok(new CheckoutEventsResponse([.. batch.Events.Select(e => (CheckoutEventResponse)e.Data)], batch.Latest, batch.Gap));
        });

    /// <summary>Connection, authentication and the event id to go on after; on a refusal writes the problem and returns null.</summary>
    private static async Task<long?> Authorize(HttpContext http, ClusterConnection connection, Func<Task<Outcome<Caller>>> authenticate)
    {
        if (!connection.IsConnected)
        {
            await Problems.Unavailable(http, "the service is starting and not connected to its cluster yet; retry shortly.").ToResult().ExecuteAsync(http).ConfigureAwait(false);
            return null;
        }

        var caller = await authenticate().ConfigureAwait(false);
        if (!caller.IsOk)
        {
            await Problems.Answer(http, caller.Error).ToResult().ExecuteAsync(http).ConfigureAwait(false);
            return null;
        }

        if (EventStream.ReadAfter(http) is not { } after)
        {
            await BadQuery(http).ToResult().ExecuteAsync(http).ConfigureAwait(false);
            return null;
        }

        return after;
    }

    /// <summary>The event id to go on after and the wait. <paramref name="wait"/> is bound as text and parsed here, after
    /// authentication, so that a malformed value is answered with a problem code (a typed binding would answer a bare 400
    /// before the caller is even authenticated).</summary>
    private static (long After, TimeSpan Wait)? Checked(HttpContext http, string? wait)
    {
        var after = EventStream.ReadAfter(http);
        var seconds = 20;
        if (wait is not null && !(wait.Length <= 3 && wait.All(char.IsAsciiDigit) && int.TryParse(wait, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out seconds)))
        {
            return null;
        }

        return after is null || seconds > EventStream.MaxWaitSeconds ? null : (after.Value, TimeSpan.FromSeconds(seconds));
    }

    private static ApiAnswer BadQuery(HttpContext http) =>
        Problems.Answer(http, ProtocolErrorCode.InvalidField, $"Last-Event-ID (or after) must be a non-negative event id, and wait 0 to {EventStream.MaxWaitSeconds} seconds.");

    private static async Task<EventBatch> ReadWallet(ApiPipeline api, string wallet, long after)
    {
        var page = await api.Grains.GetGrain<IWalletGrain>(wallet).GetEvents(after).ConfigureAwait(false);
        return new EventBatch([.. page.Events.Select(e => (e.Seq, e.Type, (object)WalletEventResponse.From(e)))], page.Latest, page.Gap);
    }

    private static async Task<EventBatch?> ReadCheckout(ApiPipeline api, string store, string checkoutId, long after)
    {
        if (!Names.IsValid(store) || !Answers.IsCheckoutId(checkoutId))
        {
            return null;
        }

        var page = await api.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store, checkoutId)).GetEvents(after).ConfigureAwait(false);
        return page is null
            ? null
            : new EventBatch([.. page.Events.Select(e => (e.Seq, e.Type, (object)CheckoutEventResponse.From(e, page.View)))], page.Latest, page.Gap);
    }

    private static ApiAnswer UnknownCheckout(HttpContext http, string store, string checkoutId) =>
        Problems.Answer(http, ProtocolErrorCode.UnknownCheckout, $"store '{Truncate(store)}' has no checkout '{Truncate(checkoutId)}'.");

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "...";

    /// <summary>The logger category of event streams.</summary>
    internal sealed class EventStreamMarker;
}
