using System.Net;
using System.Text.Json;
using Orleans.Core.Internal;
using OrleansSettlement.Contracts;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>
/// The one-write idempotency path of the checkout routes (ADR 0014): nothing is written before the operation, the hash and
/// the answer are written together after it, and what a partner sees is unchanged: a retry gets the first answer, the key
/// with another body is <c>idempotency_key_reused</c>, concurrent attempts share one operation.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class IdempotencyOneWriteTests(ApiFixture api) : IDisposable
{
    private static readonly string ItemsHash = SettlementIds.ItemsHash("1 tea");

    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task OpenCheckout_SameKeyConcurrently_OneCheckoutAndOneAnswer_AnotherBodyRefused()
    {
        var store = await _parties.CreateStoreAsync(await _parties.CreateBankAsync());
        var key = SettlementIds.NewIdempotencyKey();
        var path = $"/v1/stores/{store.Name}/checkouts";
        var body = $"{{\"orderRef\":\"order-1\",\"currency\":\"EUR\",\"totalMinor\":700,\"expiresInSeconds\":300,\"itemsHash\":\"{ItemsHash}\"}}";

        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var response = await api.Http.SendAsync(Raw.Post(path, body, store.Token.Token, key));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }));
        using var replay = await api.Http.SendAsync(Raw.Post(path, body, store.Token.Token, key));
        var replayBody = await replay.Content.ReadAsStringAsync();

        Assert.All(attempts, attempt => Assert.Equal(200, attempt.Item1));
        var answer = Assert.Single(attempts.Select(a => a.Item2).Distinct());
        Assert.Equal(answer, replayBody);
        Assert.Equal("true", Assert.Single(replay.Headers.GetValues("Idempotent-Replayed")));
        var checkoutId = JsonDocument.Parse(answer).RootElement.GetProperty("checkoutId").GetString()!;
        Assert.Equal(checkoutId, (await store.Session.GetCheckoutAsync(checkoutId)).CheckoutId);
        await Raw.ExpectProblemAsync(api.Http, Raw.Post(path, body.Replace("700", "800", StringComparison.Ordinal), store.Token.Token, key), HttpStatusCode.Conflict, "idempotency_key_reused");
    }

    [Fact]
    public async Task Record_NothingDurableBeforeTheAnswer_TheAnswerAndHashInOneWrite()
    {
        var record = api.Grains.GetGrain<IIdempotencyGrain>("test-" + Guid.NewGuid().ToString("N"));
        var answer = new IdempotentAnswer(200, "application/json", "{\"ok\":true}");

        // While the operation runs, another request with the key is refused (the reservation in memory)...
        Assert.Equal(IdempotencyStatus.Run, (await record.Check("hash-a")).Status);
        var shared = await record.Check("hash-a");
        Assert.Equal(IdempotencyStatus.KeyReused, (await record.Check("hash-b")).Status);

        // ...but nothing was stored: a fresh activation (as after a crash) lets the key run again.
        await record.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var afterCrash = await record.Check("hash-b");
        Assert.Equal(IdempotencyStatus.Run, afterCrash.Status);
        Assert.NotEqual(shared.OperationId, afterCrash.OperationId);

        // The answer is stored with its hash in one write, and read back by the next activation.
        var recorded = await record.Record("hash-b", answer);
        await record.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var replayed = await record.Check("hash-b");

        Assert.Equal((IdempotencyStatus.Answered, answer), (recorded.Status, recorded.Answer));
        Assert.Equal((IdempotencyStatus.Answered, answer, afterCrash.OperationId), (replayed.Status, replayed.Answer, replayed.OperationId));
        Assert.Equal(IdempotencyStatus.KeyReused, (await record.Check("hash-a")).Status);
        Assert.Equal(IdempotencyStatus.KeyReused, (await record.Record("hash-a", answer)).Status);
        Assert.Equal(answer, (await record.Record("hash-b", answer with { Body = "{}" })).Answer);
    }

    [Fact]
    public async Task Release_AfterA5xx_AnotherRequestMayUseTheKey()
    {
        var record = api.Grains.GetGrain<IIdempotencyGrain>("test-" + Guid.NewGuid().ToString("N"));

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

    public void Dispose() => _parties.Dispose();
}
