using System.Net;
using System.Text;
using System.Text.Json;
using Orleans.Core.Internal;
using OrleansSettlement.Contracts;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>
/// The idempotency records of the steps of a checkout's session before S7 live in memory only, in a grain type without
/// storage (ADR 0018, ADR 0022): a retry with
/// the key is replayed and another body with it refused while the record's activation lives; once it is gone, the retry
/// runs the step again and the grain answers by content. The routes that open things or move money keep durable records
/// (the opening of a checkout in the checkout itself), replayed by any later activation. Real HTTP through Kestrel, a real silo on Azurite.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class IdempotencySessionStepTests(ApiFixture api) : IDisposable
{
    private static readonly string ItemsHash = SettlementIds.ItemsHash("1 tea");

    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task Join_ReplayedWhileTheRecordLives_AnotherBodyRefused_AfterItGoesTheJoinRunsAgain()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var alice = await _parties.CreatePayerAsync(bank, 0, "alice");
        var opened = await store.Session.OpenCheckoutAsync("order-join", "EUR", 500, TimeSpan.FromMinutes(5), ItemsHash);
        var path = $"v1/stores/{store.Name}/checkouts/{opened.CheckoutId}/joins";
        var key = SettlementIds.NewIdempotencyKey();

        var (firstStatus, first, firstReplayed) = await Post(alice, path, "{}", key);
        Assert.Equal((HttpStatusCode.OK, false), (firstStatus, firstReplayed));

        // The same key and body: the first answer, byte for byte, from the record.
        var (_, replay, replayed) = await Post(alice, path, "{}", key);
        Assert.True(replayed);
        Assert.Equal(first, replay);

        // Another body with the key (the same JSON, other bytes) is refused while the record lives.
        var (status, refused, _) = await Post(alice, path, "{ }", key);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("idempotency_key_reused", JsonDocument.Parse(refused).RootElement.GetProperty("code").GetString());

        // Nothing was stored: once the record's activation is gone, the retry runs the join again (no replay), which
        // answers alike; so does the other body, a request of its own now.
        await Record(alice, $"/{path}", key).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var (againStatus, again, againReplayed) = await Post(alice, path, "{}", key);
        Assert.Equal((HttpStatusCode.OK, false, first), (againStatus, againReplayed, again));
        await Record(alice, $"/{path}", key).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var (otherStatus, otherBody, _) = await Post(alice, path, "{ }", key);
        Assert.Equal((HttpStatusCode.OK, first), (otherStatus, otherBody));
    }

    [Fact]
    public async Task Propose_AnotherAgreementWithTheKey_RefusedWhileTheRecordLives_AfterItTheCheckoutRefusesIt()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var alice = await _parties.CreatePayerAsync(bank, 0, "alice");
        var bob = await _parties.CreatePayerAsync(bank, 0, "bob");
        var opened = await store.Session.OpenCheckoutAsync("order-propose", "EUR", 500, TimeSpan.FromMinutes(5), ItemsHash);
        var key = SettlementIds.NewIdempotencyKey();
        Sdk.ProposedParticipant[] split = [new(alice.Key.PublicKey.ToJson(), bank.Name, 200), new(bob.Key.PublicKey.ToJson(), bank.Name, 300)];
        Sdk.ProposedParticipant[] other = [new(alice.Key.PublicKey.ToJson(), bank.Name, 300), new(bob.Key.PublicKey.ToJson(), bank.Name, 200)];

        var proposed = await alice.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId, split, key);
        Assert.Equal(proposed.AgreementId, (await alice.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId, split, key)).AgreementId);
        await Raw.ExpectRefusalAsync(() => alice.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId, other, key), 409, "idempotency_key_reused");

        // After the record is lost the other agreement runs as a request of its own, and the checkout refuses it (it has
        // an agreement already); the first request with the key still answers alike.
        await Record(alice, $"/v1/stores/{store.Name}/checkouts/{opened.CheckoutId}/agreement", key).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await Raw.ExpectRefusalAsync(() => alice.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId, other, key), 409, "already_exists");
        await Record(alice, $"/v1/stores/{store.Name}/checkouts/{opened.CheckoutId}/agreement", key).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(proposed.AgreementId, (await alice.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId, split, key)).AgreementId);
    }

    [Fact]
    public async Task Remember_KeepsTheAnswerInMemoryOnly()
    {
        var record = api.Grains.GetGrain<IMemoryIdempotencyGrain>("test-" + Guid.NewGuid().ToString("N"));
        var answer = new IdempotentAnswer(200, "application/json", "{\"ok\":true}");

        var run = await record.Check("hash-a");
        Assert.Equal(IdempotencyStatus.KeyReused, (await record.Check("hash-b")).Status); // reserved while it runs
        var remembered = await record.Remember("hash-a", answer);
        var replayed = await record.Check("hash-a");

        Assert.Equal(IdempotencyStatus.Run, run.Status);
        Assert.Equal((IdempotencyStatus.Answered, answer), (remembered.Status, remembered.Answer));
        Assert.Equal((IdempotencyStatus.Answered, answer), (replayed.Status, replayed.Answer));
        Assert.Equal(IdempotencyStatus.KeyReused, (await record.Check("hash-b")).Status);
        Assert.Equal(IdempotencyStatus.KeyReused, (await record.Remember("hash-b", answer)).Status);
        Assert.Equal(answer, (await record.Remember("hash-a", answer with { Body = "{}" })).Answer);

        // Kept through idle collection for the replay window...
        await Task.Delay(100);
        await api.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.FromMilliseconds(50));
        Assert.Equal((IdempotencyStatus.Answered, answer), ((await record.Check("hash-a")).Status, (await record.Check("hash-a")).Answer));

        // ...but never stored: a fresh activation knows nothing of it.
        await record.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(IdempotencyStatus.Run, (await record.Check("hash-b")).Status);
    }

    [Fact]
    public async Task Release_AfterA5xx_AnotherRequestMayUseTheKey()
    {
        var record = api.Grains.GetGrain<IMemoryIdempotencyGrain>("test-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(IdempotencyStatus.Run, (await record.Check("hash-a")).Status);
        await record.Release("hash-a");

        Assert.Equal(IdempotencyStatus.Run, (await record.Check("hash-b")).Status);
    }

    [Fact]
    public async Task Propose_GrainCallDoneButNoRecord_TheRetryRunsItAgainAndAnswersAlike()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var alice = await _parties.CreatePayerAsync(bank, 1_000, "alice");
        var bob = await _parties.CreatePayerAsync(bank, 1_000, "bob");
        var opened = await store.Session.OpenCheckoutAsync("order-2", "EUR", 500, TimeSpan.FromMinutes(5), ItemsHash);
        var key = SettlementIds.NewIdempotencyKey();

        // As if the API stopped after the grain call and before the record: the agreement is proposed, no record exists.
        var proposed = await api.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store.Name, opened.CheckoutId)).ProposeAgreement(alice.WalletId,
        [
            new(alice.Key.PublicKey.ToJson().ToJsonString(), bank.Name, 200),
            new(bob.Key.PublicKey.ToJson().ToJsonString(), bank.Name, 300),
        ]);
        Assert.True(proposed.IsOk, proposed.Refusal?.Code);

        var retry = await alice.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId,
            [new(alice.Key.PublicKey.ToJson(), bank.Name, 200), new(bob.Key.PublicKey.ToJson(), bank.Name, 300)], key);
        var again = await alice.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId,
            [new(alice.Key.PublicKey.ToJson(), bank.Name, 200), new(bob.Key.PublicKey.ToJson(), bank.Name, 300)], key);

        Assert.Equal(proposed.Value!.AgreementId, retry.AgreementId);
        Assert.Equal(retry.AgreementId, again.AgreementId);
        Assert.Equal(CheckoutStages.AgreementProposed, retry.Stage);
    }

    [Fact]
    public async Task DurableRoutes_StillReplayAfterTheRecordsActivationIsGone()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var payer = await _parties.CreatePayerAsync(bank, 1_000, "payer");

        // Opening a checkout: the checkout itself is the record (its id comes from the key, ADR 0022), so a retry after
        // its activation is gone is answered from its row.
        var openPath = $"/v1/stores/{store.Name}/checkouts";
        var openKey = SettlementIds.NewIdempotencyKey();
        var openBody = $"{{\"orderRef\":\"order-durable\",\"currency\":\"EUR\",\"totalMinor\":700,\"expiresInSeconds\":300,\"itemsHash\":\"{ItemsHash}\"}}";
        var opened = await Send(Raw.Post(openPath, openBody, store.Token.Token, openKey));
        var checkoutId = JsonDocument.Parse(opened.Body).RootElement.GetProperty("checkoutId").GetString()!;
        await api.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store.Name, checkoutId)).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var reopened = await Send(Raw.Post(openPath, openBody, store.Token.Token, openKey));

        // A deposit moves money: the replay is the first answer (the balance then), not a second deposit.
        var depositPath = $"/v1/institutions/{bank.Name}/accounts/{payer.Account}/deposits";
        var depositKey = SettlementIds.NewIdempotencyKey();
        var deposited = await Send(Raw.Post(depositPath, "{\"amountMinor\":250}", bank.OperatorToken.Token, depositKey));
        await api.Grains.GetGrain<IIdempotencyGrain>(IdempotencyKeys.GrainKey("operator:" + bank.Name, "POST", depositPath, depositKey)).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var redeposited = await Send(Raw.Post(depositPath, "{\"amountMinor\":250}", bank.OperatorToken.Token, depositKey));

        Assert.Equal((opened.Body, true), (reopened.Body, reopened.Replayed));
        Assert.Equal((deposited.Body, true), (redeposited.Body, redeposited.Replayed));
        Assert.Equal(1_250, (await bank.Operator.GetAccountAsync(payer.Account)).BalanceMinor);
    }

    public void Dispose() => _parties.Dispose();

    private IMemoryIdempotencyGrain Record(ApiPayer caller, string route, string key) =>
        api.Grains.GetGrain<IMemoryIdempotencyGrain>(IdempotencyKeys.GrainKey("wallet:" + caller.WalletId, "POST", route, key));

    private async Task<(HttpStatusCode Status, string Body, bool Replayed)> Post(ApiPayer caller, string path, string body, string key)
    {
        using var request = await caller.Wallet.CreateSignedRequestAsync(HttpMethod.Post, path, Encoding.UTF8.GetBytes(body), key);
        using var response = await api.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
    }

    private async Task<(string Body, bool Replayed)> Send(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await api.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            return (body, response.Headers.Contains("Idempotent-Replayed"));
        }
    }
}
