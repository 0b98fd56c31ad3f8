using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Orleans.Core.Internal;
using OrleansSettlement.Api.Security;
using OrleansSettlement.Contracts;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>
/// Opening a checkout over HTTP keeps its idempotency record in the checkout itself (ADR 0022): the id is derived from
/// the store's token and the Idempotency-Key, and the open write keeps the request's fingerprint. What a partner sees is
/// what a stored record gave: a retry gets the first answer byte for byte, the key with another body is
/// <c>idempotency_key_reused</c>, concurrent attempts open one checkout. Real HTTP through Kestrel, a real silo on Azurite.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CheckoutOpenIdempotencyTests(ApiFixture api) : IDisposable
{
    private static readonly string ItemsHash = SettlementIds.ItemsHash("1 tea");

    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task OpenCheckout_SameKeyConcurrently_OneCheckoutAndOneAnswer_AnotherBodyRefusedAndChangesNothing()
    {
        var store = await _parties.CreateStoreAsync(await _parties.CreateBankAsync());
        var key = SettlementIds.NewIdempotencyKey();
        var path = OpenPath(store);
        var body = OpenBody("order-1", 700);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Send(Raw.Post(path, body, store.Token.Token, key))));
        var replay = await Send(Raw.Post(path, body, store.Token.Token, key));

        Assert.All(attempts, attempt => Assert.Equal(HttpStatusCode.OK, attempt.Status));
        var answer = Assert.Single(attempts.Select(a => a.Body).Distinct());
        Assert.Equal(1, attempts.Count(a => !a.Replayed));
        Assert.Equal((answer, true), (replay.Body, replay.Replayed));

        // The one checkout the key names: its id is the store's keyed hash of the key, nothing else.
        var checkoutId = JsonDocument.Parse(answer).RootElement.GetProperty("checkoutId").GetString()!;
        Assert.Equal(CheckoutIds.Derive(store.Token.Token, store.Name, key), checkoutId);
        Assert.Equal(22, checkoutId.Length);

        await Raw.ExpectProblemAsync(api.Http, Raw.Post(path, OpenBody("order-1", 800), store.Token.Token, key), HttpStatusCode.Conflict, "idempotency_key_reused");
        var after = await store.Session.GetCheckoutAsync(checkoutId);
        Assert.Equal((700L, CheckoutStages.Open), (after.TotalMinor, after.Stage));
        Assert.Equal((answer, true), (await Send(Raw.Post(path, body, store.Token.Token, key))).BodyAndReplayed());
    }

    [Fact]
    public async Task OpenCheckout_ReplayAfterTheCheckoutMovedOn_IsTheFirstAnswer()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var alice = await _parties.CreatePayerAsync(bank, 0, "alice");
        var bob = await _parties.CreatePayerAsync(bank, 0, "bob");
        var key = SettlementIds.NewIdempotencyKey();
        var first = await Send(Raw.Post(OpenPath(store), OpenBody("order-moved", 500), store.Token.Token, key));
        var checkoutId = JsonDocument.Parse(first.Body).RootElement.GetProperty("checkoutId").GetString()!;

        var proposed = await alice.Wallet.ProposeAgreementAsync(store.Name, checkoutId,
            [new(alice.Key.PublicKey.ToJson(), bank.Name, 200), new(bob.Key.PublicKey.ToJson(), bank.Name, 300)]);
        Assert.Equal(CheckoutStages.AgreementProposed, proposed.Stage);

        var replay = await Send(Raw.Post(OpenPath(store), OpenBody("order-moved", 500), store.Token.Token, key));
        Assert.Equal((HttpStatusCode.OK, first.Body, true), (replay.Status, replay.Body, replay.Replayed));
    }

    [Fact]
    public async Task OpenCheckout_RetryAfterTheCheckoutsActivationIsGone_GetsTheFirstAnswerFromTheStoredCheckout()
    {
        var store = await _parties.CreateStoreAsync(await _parties.CreateBankAsync());
        var key = SettlementIds.NewIdempotencyKey();
        var first = await Send(Raw.Post(OpenPath(store), OpenBody("order-crash", 900), store.Token.Token, key));
        var checkoutId = JsonDocument.Parse(first.Body).RootElement.GetProperty("checkoutId").GetString()!;

        // As after a crash between the write and the answer: the activation is gone, only the row is left. The retry is
        // answered from the row (the session before S7 was lost with the activation, so the checkout itself ended).
        await api.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store.Name, checkoutId)).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var retry = await Send(Raw.Post(OpenPath(store), OpenBody("order-crash", 900), store.Token.Token, key));

        Assert.Equal((HttpStatusCode.OK, first.Body, true), (retry.Status, retry.Body, retry.Replayed));
        Assert.Equal("checkout_session_lost", (await store.Session.GetCheckoutAsync(checkoutId)).AbortReason?.Code);
    }

    [Fact]
    public async Task OpenForRequest_Refused_LeavesNoTrace_TheSameIdThenOpensForAValidRequest()
    {
        var store = await _parties.CreateStoreAsync(await _parties.CreateBankAsync());
        var checkoutId = CheckoutIds.Derive(store.Token.Token, store.Name, SettlementIds.NewIdempotencyKey());
        var grain = api.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store.Name, checkoutId));

        var badItems = await grain.OpenForRequest(new CheckoutOpening("hash-a", "order-r", "EUR", 500, 300, "not-a-hash"));
        var badLifetime = await grain.OpenForRequest(new CheckoutOpening("hash-a", "order-r", "EUR", 500, 0, ItemsHash));
        var unknownStore = await api.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout("no-such-store", checkoutId))
            .OpenForRequest(new CheckoutOpening("hash-a", "order-r", "EUR", 500, 300, ItemsHash));

        Assert.Equal(("invalid_field", "invalid_field", "unknown_store"), (badItems.Refusal?.Code, badLifetime.Refusal?.Code, unknownStore.Refusal?.Code));
        await grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Null(await grain.Get());

        // The id is free: another request opens it; the first fingerprint is then refused as a reused key.
        var opened = await grain.OpenForRequest(new CheckoutOpening("hash-b", "order-r", "EUR", 500, 300, ItemsHash));
        var again = await grain.OpenForRequest(new CheckoutOpening("hash-b", "order-r", "EUR", 500, 300, ItemsHash));
        var other = await grain.OpenForRequest(new CheckoutOpening("hash-a", "order-r", "EUR", 500, 300, ItemsHash));

        Assert.Equal((true, false), (opened.IsOk, opened.Value!.Replayed));
        Assert.Equal((true, opened.Value.AsOpened), (again.Value!.Replayed, again.Value.AsOpened));
        Assert.Equal("idempotency_key_reused", other.Refusal?.Code);
    }

    [Fact]
    public void CheckoutIds_DependOnTheStoresToken_TheStoreAndTheKey()
    {
        var token = BearerToken.Create().Token;
        var id = CheckoutIds.Derive(token, "cafe", "key-1");

        Assert.Equal(id, CheckoutIds.Derive(token, "cafe", "key-1"));
        Assert.NotEqual(id, CheckoutIds.Derive(BearerToken.Create().Token, "cafe", "key-1"));
        Assert.NotEqual(id, CheckoutIds.Derive(token, "cafe2", "key-1"));
        Assert.NotEqual(id, CheckoutIds.Derive(token, "cafe", "key-2"));
        Assert.Matches("^[A-Za-z0-9_-]{22}$", id);
    }

    [Fact]
    public async Task MemoryRecords_ReadNoStorageRow_StoredRecordsDo()
    {
        var reads = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "OrleansSettlement.Storage" && instrument.Name == "osettle.storage.reads")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "grain" && tag.Value is string grain)
                {
                    reads.AddOrUpdate(grain, 1, (_, n) => n + 1);
                }
            }
        });
        listener.Start();

        // A fresh stored record reads its row when it activates; a fresh memory record has no row to read.
        Assert.Equal(IdempotencyStatus.Run, (await api.Grains.GetGrain<IIdempotencyGrain>("reads-" + Guid.NewGuid().ToString("N")).Begin("hash-a")).Status);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(IdempotencyStatus.Run, (await api.Grains.GetGrain<IMemoryIdempotencyGrain>("reads-" + Guid.NewGuid().ToString("N")).Check("hash-a")).Status);
        }

        Assert.True(reads.GetValueOrDefault("idempotency") >= 1, string.Join(", ", reads.Select(r => $"{r.Key}={r.Value}")));
        Assert.Equal(0, reads.GetValueOrDefault("memoryidempotency"));
    }

    public void Dispose() => _parties.Dispose();

    private static string OpenPath(ApiStore store) => $"/v1/stores/{store.Name}/checkouts";

    private static string OpenBody(string orderRef, long totalMinor) =>
        $"{{\"orderRef\":\"{orderRef}\",\"currency\":\"EUR\",\"totalMinor\":{totalMinor},\"expiresInSeconds\":300,\"itemsHash\":\"{ItemsHash}\"}}";

    private async Task<Sent> Send(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await api.Http.SendAsync(request);
            return new Sent(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
        }
    }

    private sealed record Sent(HttpStatusCode Status, string Body, bool Replayed)
    {
        public (string, bool) BodyAndReplayed() => (Body, Replayed);
    }
}
