using System.Net;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class OperatorRouteTests(ApiFixture api) : IDisposable
{
    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task OpenAccountDepositGet_Operator_BalanceFollows()
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);

        var opened = await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);
        var deposited = await bank.Operator.DepositAsync(payer.Account, 1_250);
        var fetched = await bank.Operator.GetAccountAsync(payer.Account);

        Assert.Equal(0, opened.BalanceMinor);
        Assert.Equal("wallet", opened.OwnerKind);
        Assert.Equal(payer.WalletId, opened.Owner);
        Assert.Equal(1_250, deposited.BalanceMinor);
        Assert.Equal(deposited, fetched);
    }

    [Fact]
    public async Task Deposit_SameKeyTwice_AppliedOnceWithTheSameAnswer()
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);
        var key = SettlementIds.NewIdempotencyKey();

        var first = await bank.Operator.DepositAsync(payer.Account, 700, key);
        var retry = await bank.Operator.DepositAsync(payer.Account, 700, key);
        var other = await bank.Operator.DepositAsync(payer.Account, 700);

        Assert.Equal(700, first.BalanceMinor);
        Assert.Equal(first, retry);
        Assert.Equal(1_400, other.BalanceMinor);
        Assert.Equal(1_400, (await bank.Operator.GetAccountAsync(payer.Account)).DepositedMinor);
    }

    [Fact]
    public async Task Deposit_SameKeyOtherAmount_Returns409AndNothingMoves()
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);
        var key = SettlementIds.NewIdempotencyKey();
        await bank.Operator.DepositAsync(payer.Account, 500, key);

        await Raw.ExpectRefusalAsync(() => bank.Operator.DepositAsync(payer.Account, 501, key), 409, "idempotency_key_reused");

        Assert.Equal(500, (await bank.Operator.GetAccountAsync(payer.Account)).BalanceMinor);
    }

    [Fact]
    public async Task AccountRoutes_OperatorOfAnotherBank_Returns403()
    {
        var bank = await _parties.CreateBankAsync();
        var other = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);
        var intruder = api.Client.Operator(bank.Name, other.OperatorToken.Token);

        await Raw.ExpectRefusalAsync(() => intruder.DepositAsync(payer.Account, 1_000), 403, "forbidden");
        await Raw.ExpectRefusalAsync(() => intruder.GetAccountAsync(payer.Account), 403, "forbidden");
        await Raw.ExpectRefusalAsync(() => intruder.OpenAccountAsync(ApiParties.UniqueName("acct"), AccountOwnerKind.Store, "some-store", ApiParties.Currency), 403, "forbidden");
        await Raw.ExpectRefusalAsync(() => intruder.CreateStoreAsync(ApiParties.UniqueName("store"), "Store", payer.Account, BearerToken.Create()), 403, "forbidden");
        Assert.Equal(0, (await bank.Operator.GetAccountAsync(payer.Account)).BalanceMinor);
    }

    [Fact]
    public async Task AccountRoutes_NoToken_Returns401()
    {
        var bank = await _parties.CreateBankAsync();

        await Raw.ExpectProblemAsync(api.Http, Raw.Get($"/v1/institutions/{bank.Name}/accounts/nobody"), HttpStatusCode.Unauthorized, "unauthenticated");
        await Raw.ExpectProblemAsync(api.Http, Raw.Post($"/v1/institutions/{bank.Name}/accounts/nobody/deposits", "{\"amountMinor\":1}"), HttpStatusCode.Unauthorized, "unauthenticated");
        using var malformed = Raw.Get($"/v1/institutions/{bank.Name}/accounts/nobody");
        malformed.Headers.TryAddWithoutValidation("Authorization", "Basic dXNlcjpwYXNz");
        await Raw.ExpectProblemAsync(api.Http, malformed, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task AccountRoutes_UnknownInstitutionOrAccount_Returns404()
    {
        var bank = await _parties.CreateBankAsync();

        await Raw.ExpectRefusalAsync(() => api.Client.Operator(ApiParties.UniqueName("nobank"), bank.OperatorToken.Token).GetAccountAsync("x"), 404, "unknown_institution");
        await Raw.ExpectRefusalAsync(() => bank.Operator.GetAccountAsync(ApiParties.UniqueName("nobody")), 404, "unknown_account");
        await Raw.ExpectRefusalAsync(() => bank.Operator.DepositAsync(ApiParties.UniqueName("nobody"), 5), 404, "unknown_account");
    }

    [Theory]
    [InlineData("{\"amountMinor\":0}", "invalid_field")]
    [InlineData("{\"amountMinor\":-5}", "invalid_field")]
    [InlineData("{\"amountMinor\":\"5\"}", "invalid_field")]
    [InlineData("{\"amountMinor\":5.0}", "number_not_integer")]
    [InlineData("{\"amountMinor\":1e3}", "number_not_integer")]
    [InlineData("{\"amountMinor\":99999999999999999999}", "integer_out_of_range")]
    [InlineData("{}", "missing_field")]
    [InlineData("{\"amountMinor\":5,\"currency\":\"EUR\"}", "unknown_field")]
    public async Task Deposit_BadBody_Returns400(string body, string code)
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);

        await Raw.ExpectProblemAsync(api.Http, Raw.Post($"/v1/institutions/{bank.Name}/accounts/{payer.Account}/deposits", body, bank.OperatorToken.Token), HttpStatusCode.BadRequest, code);

        Assert.Equal(0, (await bank.Operator.GetAccountAsync(payer.Account)).BalanceMinor);
    }

    [Theory]
    [InlineData("{\"account\":\"a1\",\"ownerKind\":\"bank\",\"owner\":\"x\",\"currency\":\"EUR\"}", "invalid_field")]
    [InlineData("{\"account\":\"a1\",\"ownerKind\":\"wallet\",\"owner\":\"not-a-thumbprint\",\"currency\":\"EUR\"}", "invalid_field")]
    [InlineData("{\"account\":\"a1\",\"ownerKind\":\"store\",\"owner\":\"Not A Name\",\"currency\":\"EUR\"}", "invalid_field")]
    [InlineData("{\"account\":\"a1\",\"ownerKind\":\"store\",\"owner\":\"shop\",\"currency\":\"eur\"}", "invalid_field")]
    [InlineData("{\"account\":\"a1\",\"ownerKind\":\"store\",\"owner\":\"shop\"}", "missing_field")]
    public async Task OpenAccount_BadBody_Returns400(string body, string code)
    {
        var bank = await _parties.CreateBankAsync();

        await Raw.ExpectProblemAsync(api.Http, Raw.Post($"/v1/institutions/{bank.Name}/accounts", body, bank.OperatorToken.Token), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task CreateStore_Operator_StoreIsPublicWithItsChallengeKey()
    {
        var bank = await _parties.CreateBankAsync();

        var store = await _parties.CreateStoreAsync(bank);
        var profile = await api.Client.GetStoreAsync(store.Name);

        Assert.Equal(bank.Name, profile.Institution);
        Assert.Equal(store.Account, profile.Account);
        Assert.Equal("active", profile.ChallengeKey.Status);
        Assert.Equal(profile.ChallengeKey.Kid, OrleansSettlement.Protocol.Crypto.PublicJwk.Parse(profile.ChallengeKey.Jwk).Value.Thumbprint);
        await Raw.ExpectProblemAsync(api.Http, Raw.Get($"/v1/stores/{ApiParties.UniqueName("nostore")}"), HttpStatusCode.NotFound, "unknown_store");
    }

    [Fact]
    public async Task CreateStore_AccountOwnedBySomeoneElse_Returns403()
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);

        await Raw.ExpectRefusalAsync(() => bank.Operator.CreateStoreAsync(ApiParties.UniqueName("store"), "Store", payer.Account, BearerToken.Create()), 403, "forbidden");
    }

    public void Dispose() => _parties.Dispose();
}
