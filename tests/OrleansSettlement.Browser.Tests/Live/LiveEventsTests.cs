using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Api;

namespace OrleansSettlement.Browser.Tests.Live;

/// <summary>
/// The live-update routes over real HTTP against the real API and silo: Server-Sent Events for a checkout and for a
/// wallet, reconnection with Last-Event-ID, the long poll, joins and declines, and who may read which feed.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LiveEventsTests(ApiFixture api) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task CheckoutStream_AWholeGroupCheckout_EveryStepInOrderThenTheReceipt_AndReconnectingReplaysExactlyTheMissedOnes()
    {
        var world = await World.CreateAsync(_parties);
        var checkout = await world.Store.Session.OpenCheckoutAsync("order-live-1", "EUR", 9_000, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 teas"));
        using var stream = await OpenCheckoutStreamAsync(world.Store, checkout.CheckoutId, null);
        var opened = await stream.ReadUntilAsync(e => e.Type == "opened", Timeout);
        Assert.Equal(1, Assert.Single(opened).Id);

        var run = world.RunAsync(checkout.CheckoutId);
        var events = (await stream.ReadUntilAsync(e => e.Type == "outcome", Timeout)).Prepend(opened[0]).ToList();
        await run;

        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Id));
        Assert.Equal(["opened", "agreement"], events.Take(2).Select(e => e.Type));
        var steps = events.Where(e => e.Type == "step").Select(e => e.Data.GetProperty("step").GetProperty("step").GetString()).ToList();
        Assert.Equal(["S2", "S3", "S4", "S6", "S6", "S6", "S7"], steps.Take(7));
        Assert.Contains("S8", steps);
        Assert.Contains("S9", steps);
        Assert.Contains("S10", steps);
        var outcome = events[^1].Data.GetProperty("checkout");
        Assert.Equal("settled", outcome.GetProperty("stage").GetString());
        Assert.Equal(9_000, outcome.GetProperty("receipt").GetProperty("totalMinor").GetInt64());
        Assert.Equal(world.AgreementId, events[1].Data.GetProperty("agreementId").GetString());

        // A client that saw up to event 3 reconnects: it gets 4.. exactly, the same events with the same ids.
        using var again = await OpenCheckoutStreamAsync(world.Store, checkout.CheckoutId, 3);
        var replayed = await again.ReadUntilAsync(e => e.Type == "outcome", Timeout);
        Assert.Equal(events.Skip(3).Select(e => (e.Id, e.Type, e.Data.GetRawText())), replayed.Select(e => (e.Id, e.Type, e.Data.GetRawText())));
        await api.AssertInvariantsAsync();
    }

    [Fact]
    public async Task WalletStream_TheLeaderSeesItsAgreementContributionsAndChallenge_AndReconnectingReplaysExactlyTheMissedOnes()
    {
        var world = await World.CreateAsync(_parties);
        var checkout = await world.Store.Session.OpenCheckoutAsync("order-live-2", "EUR", 9_000, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 teas"));
        using (var stream = await OpenWalletStreamAsync(world.Alice, null))
        {
            var run = world.RunAsync(checkout.CheckoutId);
            var events = await stream.ReadUntilAsync(e => e.Type == "checkout-ended", Timeout);
            await run;

            var types = events.Select(e => e.Type).ToList();
            Assert.Equal(["notes", "agreement-led", "contribution", "contribution", "challenge"], types.Take(5));

            // A wallet's numbers go up by 1 while it stays loaded, from a first one derived from the time (ADR 0018).
            Assert.Equal(Enumerable.Range(0, events.Count).Select(i => events[0].Id + i), events.Select(e => e.Id));
            Assert.Equal([world.Bob.WalletId, world.Carol.WalletId], events.Where(e => e.Type == "contribution").Select(e => e.Data.GetProperty("wallet").GetString()));
            var challenge = events.Single(e => e.Type == "challenge").Data;
            Assert.Equal(checkout.CheckoutId, challenge.GetProperty("checkoutId").GetString());
            Assert.Equal("osettle.challenge.v1", challenge.GetProperty("challenge").GetProperty("purpose").GetString());

            using var again = await OpenWalletStreamAsync(world.Alice, events[1].Id);
            var replayed = await again.ReadUntilAsync(e => e.Id == events[^1].Id, Timeout);
            Assert.Equal(events.Skip(2).Select(e => (e.Id, e.Data.GetRawText())), replayed.Select(e => (e.Id, e.Data.GetRawText())));
        }

        await api.AssertInvariantsAsync();
    }

    [Fact]
    public async Task LongPoll_ReturnsOnTheNextEvent_OrEmptyWhenNoneComesInTime()
    {
        var world = await World.CreateAsync(_parties);
        var checkout = await world.Store.Session.OpenCheckoutAsync("order-live-3", "EUR", 9_000, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 teas"));

        var empty = await PollCheckoutAsync(world.Store, checkout.CheckoutId, after: 1, wait: 1);
        Assert.Empty(empty.GetProperty("events").EnumerateArray());
        Assert.Equal(1, empty.GetProperty("lastEventId").GetInt64());
        Assert.False(empty.GetProperty("reset").GetBoolean());

        var waiting = PollCheckoutAsync(world.Store, checkout.CheckoutId, after: 1, wait: 20);
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(waiting.IsCompleted, "the poll answered before any event");
        await JoinAsync(world.Bob, world.Store.Name, checkout.CheckoutId);
        var joined = await waiting.WaitAsync(Timeout);

        var only = Assert.Single(joined.GetProperty("events").EnumerateArray());
        Assert.Equal("joined", only.GetProperty("type").GetString());
        Assert.Equal(world.Bob.WalletId, only.GetProperty("joined").GetProperty("wallet").GetString());
        Assert.Equal(2, joined.GetProperty("lastEventId").GetInt64());

        // A wallet's own poll: the notes it withdrew are its first event.
        using var request = await world.Bob.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{world.Bob.WalletId}/events/poll?after=0&wait=1", null);
        using var response = await api.Http.SendAsync(request);
        var body = await ReadJsonAsync(response);
        Assert.Equal("notes", body.GetProperty("events")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Join_OnlyWhileOpen_AndADecliningPayerEndsTheCheckoutWithAgreementMismatch()
    {
        var world = await World.CreateAsync(_parties);
        var checkout = await world.Store.Session.OpenCheckoutAsync("order-live-4", "EUR", 9_000, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 teas"));
        await JoinAsync(world.Bob, world.Store.Name, checkout.CheckoutId);
        await JoinAsync(world.Bob, world.Store.Name, checkout.CheckoutId);
        var proposed = await world.ProposeAsync(checkout.CheckoutId);
        using (var late = await SignedPostAsync(world.Carol, $"v1/stores/{world.Store.Name}/checkouts/{checkout.CheckoutId}/joins", "{}"))
        {
            await Raw.ExpectProblemAsync(late, HttpStatusCode.Conflict, "checkout_closed");
        }

        // Carol's app accepted another deal (another order reference): she sends that agreement info to the store.
        var other = proposed.Agreement!.DeepClone().AsObject();
        other["orderRef"] = "order-live-4-other";
        var info = await world.Carol.Wallet.AcceptAsync(other);
        var matching = await world.Carol.Wallet.AcceptAsync(proposed.Agreement!);
        using (var refused = await SignedPostAsync(world.Carol, Decline(world, checkout.CheckoutId), $"{{\"agreementInfo\":{matching.ToJsonString()}}}"))
        {
            await Raw.ExpectProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_field");
        }

        using (var stranger = await SignedPostAsync(world.Stranger, Decline(world, checkout.CheckoutId), $"{{\"agreementInfo\":{(await world.Stranger.Wallet.AcceptAsync(other)).ToJsonString()}}}"))
        {
            await Raw.ExpectProblemAsync(stranger, HttpStatusCode.UnprocessableEntity, "not_a_participant");
        }

        using (var declined = await SignedPostAsync(world.Carol, Decline(world, checkout.CheckoutId), $"{{\"agreementInfo\":{info.ToJsonString()}}}"))
        {
            var body = await ReadJsonAsync(declined);
            Assert.Equal("aborted", body.GetProperty("stage").GetString());
            Assert.Equal("agreement_mismatch", body.GetProperty("abortReason").GetProperty("code").GetString());
        }

        using var stream = await OpenCheckoutStreamAsync(world.Store, checkout.CheckoutId, null);
        var events = await stream.ReadUntilAsync(e => e.Type == "outcome", Timeout);
        Assert.Equal(["opened", "joined", "agreement", "step", "outcome"], events.Select(e => e.Type));
        Assert.Equal("agreement_mismatch", events[^1].Data.GetProperty("checkout").GetProperty("abortReason").GetProperty("code").GetString());
        await api.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Feeds_AuthenticatedLikeTheirGetRoutes()
    {
        var world = await World.CreateAsync(_parties);
        var otherStore = await _parties.CreateStoreAsync(world.BankC, "other");
        var checkout = await world.Store.Session.OpenCheckoutAsync("order-live-5", "EUR", 9_000, TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 teas"));
        var path = $"/v1/stores/{world.Store.Name}/checkouts/{checkout.CheckoutId}/events";

        await Raw.ExpectProblemAsync(api.Http, Raw.Get(path), HttpStatusCode.Unauthorized, "unauthenticated");
        await Raw.ExpectProblemAsync(api.Http, Raw.Get(path, otherStore.Token.Token), HttpStatusCode.Forbidden, "forbidden");
        await Raw.ExpectProblemAsync(api.Http, Raw.Get(path + "/poll?after=x", world.Store.Token.Token), HttpStatusCode.BadRequest, "invalid_field");
        await Raw.ExpectProblemAsync(api.Http, Raw.Get($"/v1/stores/{world.Store.Name}/checkouts/nosuchcheckout/events/poll?wait=0", world.Store.Token.Token), HttpStatusCode.NotFound, "unknown_checkout");
        using (var readsAnother = await world.Bob.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{world.Alice.WalletId}/events", null))
        {
            await Raw.ExpectProblemAsync(api.Http, readsAnother, HttpStatusCode.Forbidden, "forbidden");
        }

        await Raw.ExpectProblemAsync(api.Http, Raw.Get($"/v1/wallets/{world.Alice.WalletId}/events/poll"), HttpStatusCode.Unauthorized, "unauthenticated");

        // Any registered wallet may follow a checkout whose id it knows (the id is the capability), as with GET.
        using var byWallet = await world.Bob.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/stores/{world.Store.Name}/checkouts/{checkout.CheckoutId}/events/poll?wait=0", null);
        using var answer = await api.Http.SendAsync(byWallet);
        Assert.Equal("opened", (await ReadJsonAsync(answer)).GetProperty("events")[0].GetProperty("type").GetString());
    }

    public void Dispose() => _parties.Dispose();

    private static string Decline(World world, string checkoutId) => $"v1/stores/{world.Store.Name}/checkouts/{checkoutId}/declines";

    private async Task<SseReader> OpenCheckoutStreamAsync(ApiStore store, string checkoutId, long? lastEventId)
    {
        var request = Raw.Get($"/v1/stores/{store.Name}/checkouts/{checkoutId}/events", store.Token.Token);
        return await OpenStreamAsync(request, lastEventId);
    }

    private async Task<SseReader> OpenWalletStreamAsync(ApiPayer payer, long? lastEventId)
    {
        var request = await payer.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{payer.WalletId}/events", null);
        return await OpenStreamAsync(request, lastEventId);
    }

    private async Task<SseReader> OpenStreamAsync(HttpRequestMessage request, long? lastEventId)
    {
        using (request)
        {
            SseReader.Prepare(request, lastEventId);
            var response = await api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Fail($"the stream was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new SseReader(await response.Content.ReadAsStreamAsync());
        }
    }

    private async Task<JsonElement> PollCheckoutAsync(ApiStore store, string checkoutId, long after, int wait)
    {
        using var response = await api.Http.SendAsync(Raw.Get($"/v1/stores/{store.Name}/checkouts/{checkoutId}/events/poll?after={after}&wait={wait}", store.Token.Token));
        return await ReadJsonAsync(response);
    }

    private async Task JoinAsync(ApiPayer payer, string store, string checkoutId)
    {
        using var response = await SignedPostAsync(payer, $"v1/stores/{store}/checkouts/{checkoutId}/joins", "{}");
        Assert.Equal("open", (await ReadJsonAsync(response)).GetProperty("stage").GetString());
    }

    private async Task<HttpResponseMessage> SignedPostAsync(ApiPayer payer, string path, string body)
    {
        using var request = await payer.Wallet.CreateSignedRequestAsync(HttpMethod.Post, path, Encoding.UTF8.GetBytes(body), SettlementIds.NewIdempotencyKey());
        request.Content!.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await api.Http.SendAsync(request);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Three payers at two banks, a store at a third, notes withdrawn; runs a checkout with the SDK.</summary>
    private sealed record World(ApiBank BankA, ApiBank BankB, ApiBank BankC, ApiStore Store, ApiPayer Alice, ApiPayer Bob, ApiPayer Carol, ApiPayer Stranger)
    {
        private readonly Dictionary<string, IReadOnlyList<System.Text.Json.Nodes.JsonObject>> _notes = [];

        public string? AgreementId { get; private set; }

        public static async Task<World> CreateAsync(ApiParties parties)
        {
            var bankA = await parties.CreateBankAsync("bank-a");
            var bankB = await parties.CreateBankAsync("bank-b");
            var bankC = await parties.CreateBankAsync("bank-c");
            var store = await parties.CreateStoreAsync(bankC, "cafe");
            var world = new World(bankA, bankB, bankC, store,
                await parties.CreatePayerAsync(bankA, 10_000, "alice"),
                await parties.CreatePayerAsync(bankB, 10_000, "bob"),
                await parties.CreatePayerAsync(bankA, 10_000, "carol"),
                await parties.CreatePayerAsync(bankB, 10_000, "stranger"));
            foreach (var payer in new[] { world.Alice, world.Bob, world.Carol })
            {
                world._notes[payer.WalletId] = (await payer.Wallet.WithdrawAsync([4_000])).Notes;
            }

            return world;
        }

        public async Task<CheckoutInfo> ProposeAsync(string checkoutId)
        {
            var proposed = await Alice.Wallet.ProposeAgreementAsync(Store.Name, checkoutId,
                [.. new[] { Alice, Bob, Carol }.Select(p => new ProposedParticipant(p.Key.PublicKey.ToJson(), p.Institution, 3_000))]);
            AgreementId = proposed.AgreementId;
            return proposed;
        }

        /// <summary>S1-S10 with the SDK, Alice leading.</summary>
        public async Task RunAsync(string checkoutId)
        {
            var proposed = await ProposeAsync(checkoutId);
            foreach (var payer in new[] { Bob, Carol })
            {
                var contribution = await payer.Wallet.ContributionAsync(proposed.Agreement!, _notes[payer.WalletId]);
                await payer.Wallet.SendContributionAsync(Alice.WalletId, contribution);
            }

            var mailbox = await Alice.Wallet.GetContributionsAsync(proposed.AgreementId!);
            await Alice.Wallet.SubmitBundleAsync(Store.Name, checkoutId, [.. mailbox.Contributions, await Alice.Wallet.ContributionAsync(proposed.Agreement!, _notes[Alice.WalletId])]);
            foreach (var payer in new[] { Alice, Bob, Carol })
            {
                var challenge = Assert.Single((await payer.Wallet.GetChallengesAsync()).Challenges, c => c.CheckoutId == checkoutId);
                await payer.Wallet.AnswerChallengeAsync(challenge, _notes[payer.WalletId]);
            }

            var outcome = await Store.Session.WaitForOutcomeAsync(checkoutId, Timeout);
            Assert.Equal(CheckoutStages.Settled, outcome.Stage);
        }
    }
}
