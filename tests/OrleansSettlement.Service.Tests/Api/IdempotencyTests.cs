using System.Net;
using System.Text.Json;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>Idempotency-Key records: one effect per key, scoped to the caller and the route.</summary>
[Collection(ApiCollection.Name)]
public sealed class IdempotencyTests(ApiFixture api) : IDisposable
{
    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task Deposit_SameKeyConcurrently_OneEffectAndOneAnswer()
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);
        var key = SettlementIds.NewIdempotencyKey();
        var path = $"/v1/institutions/{bank.Name}/accounts/{payer.Account}/deposits";

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var response = await api.Http.SendAsync(Raw.Post(path, "{\"amountMinor\":300}", bank.OperatorToken.Token, key));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }));

        Assert.All(attempts, attempt => Assert.Equal(200, attempt.Item1));
        Assert.Single(attempts.Select(a => a.Item2).Distinct());
        Assert.Equal(300, (await bank.Operator.GetAccountAsync(payer.Account)).BalanceMinor);
    }

    [Fact]
    public async Task SameKey_OtherCallerOrOtherRoute_IsAnotherRecord()
    {
        var bankA = await _parties.CreateBankAsync();
        var bankB = await _parties.CreateBankAsync();
        var payerA = _parties.NewPayer(bankA);
        var payerB = _parties.NewPayer(bankB);
        var key = SettlementIds.NewIdempotencyKey();

        var openedA = await bankA.Operator.OpenAccountAsync(payerA.Account, AccountOwnerKind.Wallet, payerA.WalletId, ApiParties.Currency, key);
        var openedB = await bankB.Operator.OpenAccountAsync(payerB.Account, AccountOwnerKind.Wallet, payerB.WalletId, ApiParties.Currency, key);
        var deposited = await bankA.Operator.DepositAsync(payerA.Account, 100, key);

        Assert.Equal(payerA.Account, openedA.Account);
        Assert.Equal(payerB.Account, openedB.Account);
        Assert.Equal(100, deposited.BalanceMinor);
    }

    [Fact]
    public async Task Replay_AfterTheStateMoved_StillTheFirstAnswer()
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);
        var key = SettlementIds.NewIdempotencyKey();
        var path = $"/v1/institutions/{bank.Name}/accounts/{payer.Account}/deposits";

        using var first = await api.Http.SendAsync(Raw.Post(path, "{\"amountMinor\":100}", bank.OperatorToken.Token, key));
        await bank.Operator.DepositAsync(payer.Account, 50);
        using var retry = await api.Http.SendAsync(Raw.Post(path, "{\"amountMinor\":100}", bank.OperatorToken.Token, key));

        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());
        Assert.Equal(100, JsonDocument.Parse(firstBody).RootElement.GetProperty("balanceMinor").GetInt64());
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(150, (await bank.Operator.GetAccountAsync(payer.Account)).BalanceMinor);
    }

    [Fact]
    public async Task AuthFailures_AreNotStored_TheRightCallerMayUseTheKeyAfterwards()
    {
        var bank = await _parties.CreateBankAsync();
        var other = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);
        var key = SettlementIds.NewIdempotencyKey();
        var path = $"/v1/institutions/{bank.Name}/accounts/{payer.Account}/deposits";

        await Raw.ExpectProblemAsync(api.Http, Raw.Post(path, "{\"amountMinor\":100}", other.OperatorToken.Token, key), HttpStatusCode.Forbidden, "forbidden");
        var deposited = await bank.Operator.DepositAsync(payer.Account, 100, key);

        Assert.Equal(100, deposited.BalanceMinor);
    }

    public void Dispose() => _parties.Dispose();
}
