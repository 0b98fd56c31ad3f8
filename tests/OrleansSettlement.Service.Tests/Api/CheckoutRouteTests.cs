using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class CheckoutRouteTests(ApiFixture api) : IDisposable
{
    private static readonly string ItemsHash = SettlementIds.ItemsHash("2 coffees");

    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task OpenCheckout_Store_ServerMakesARandomIdAndTheStoreReadsIt()
    {
        var store = await _parties.CreateStoreAsync(await _parties.CreateBankAsync());

        var opened = await store.Session.OpenCheckoutAsync("order-7", "EUR", 1_200, TimeSpan.FromMinutes(10), ItemsHash);
        var read = await store.Session.GetCheckoutAsync(opened.CheckoutId);

        Assert.Equal(22, opened.CheckoutId.Length);
        Assert.Equal(CheckoutStages.Open, opened.Stage);
        Assert.Equal(1_200, opened.TotalMinor);
        Assert.Equal(ItemsHash, opened.ItemsHash);
        Assert.Equal(opened.CheckoutId, read.CheckoutId);
        Assert.Null(read.Agreement);
    }

    [Fact]
    public async Task OpenCheckout_SameKeyTwice_TheSameCheckout()
    {
        var store = await _parties.CreateStoreAsync(await _parties.CreateBankAsync());
        var key = SettlementIds.NewIdempotencyKey();

        var first = await store.Session.OpenCheckoutAsync("order-8", "EUR", 500, TimeSpan.FromMinutes(5), ItemsHash, key);
        var retry = await store.Session.OpenCheckoutAsync("order-8", "EUR", 500, TimeSpan.FromMinutes(5), ItemsHash, key);
        var other = await store.Session.OpenCheckoutAsync("order-8", "EUR", 500, TimeSpan.FromMinutes(5), ItemsHash);

        Assert.Equal(first, retry with { Steps = first.Steps });
        Assert.Equal(first.CheckoutId, retry.CheckoutId);
        Assert.NotEqual(first.CheckoutId, other.CheckoutId);
    }

    [Fact]
    public async Task CheckoutRoutes_TokenOfAnotherStore_Returns403()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var other = await _parties.CreateStoreAsync(bank);
        var opened = await store.Session.OpenCheckoutAsync("order-9", "EUR", 500, TimeSpan.FromMinutes(5), ItemsHash);
        var intruder = api.Client.Store(store.Name, other.Token.Token);

        await Raw.ExpectRefusalAsync(() => intruder.OpenCheckoutAsync("order-x", "EUR", 500, TimeSpan.FromMinutes(5), ItemsHash), 403, "forbidden");
        await Raw.ExpectRefusalAsync(() => intruder.GetCheckoutAsync(opened.CheckoutId), 403, "forbidden");
        await Raw.ExpectRefusalAsync(() => api.Client.Store(store.Name, bank.OperatorToken.Token).GetCheckoutAsync(opened.CheckoutId), 403, "forbidden");
        await Raw.ExpectProblemAsync(api.Http, Raw.Get($"/v1/stores/{store.Name}/checkouts/{opened.CheckoutId}"), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task GetCheckout_AnyRegisteredWallet_ReadsItByItsId()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var payer = await _parties.CreatePayerAsync(bank, 0);
        var opened = await store.Session.OpenCheckoutAsync("order-10", "EUR", 800, TimeSpan.FromMinutes(5), ItemsHash);

        var read = await payer.Wallet.GetCheckoutAsync(store.Name, opened.CheckoutId);

        Assert.Equal(opened.CheckoutId, read.CheckoutId);
        await Raw.ExpectRefusalAsync(() => payer.Wallet.GetCheckoutAsync(store.Name, "AAAAAAAAAAAAAAAAAAAAAA"), 404, "unknown_checkout");
        await Raw.ExpectRefusalAsync(() => payer.Wallet.GetCheckoutAsync(store.Name, "not valid!"), 404, "unknown_checkout");
    }

    [Theory]
    [InlineData("{\"orderRef\":\"o\",\"currency\":\"EUR\",\"totalMinor\":5,\"expiresInSeconds\":0,\"itemsHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "invalid_field")]
    [InlineData("{\"orderRef\":\"o\",\"currency\":\"EUR\",\"totalMinor\":5,\"expiresInSeconds\":86401,\"itemsHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "invalid_field")]
    [InlineData("{\"orderRef\":\"o\",\"currency\":\"EUR\",\"totalMinor\":0,\"expiresInSeconds\":60,\"itemsHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "invalid_field")]
    [InlineData("{\"orderRef\":\"o\",\"currency\":\"EUR\",\"totalMinor\":5,\"expiresInSeconds\":60,\"itemsHash\":\"AAAA\"}", "invalid_field")]
    [InlineData("{\"orderRef\":\"o\",\"currency\":\"EUR\",\"totalMinor\":5,\"expiresInSeconds\":60,\"itemsHash\":\"short\"}", "invalid_base64_url")]
    [InlineData("{\"orderRef\":\"o\\n\",\"currency\":\"EUR\",\"totalMinor\":5,\"expiresInSeconds\":60,\"itemsHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "invalid_field")]
    [InlineData("{\"orderRef\":\"o\",\"currency\":\"EUR\",\"totalMinor\":5,\"expiresInSeconds\":60}", "missing_field")]
    [InlineData("{\"orderRef\":\"o\",\"currency\":\"EUR\",\"totalMinor\":5,\"expiresInSeconds\":60,\"itemsHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"checkoutId\":\"mine\"}", "unknown_field")]
    public async Task OpenCheckout_BadBody_Returns400(string body, string code)
    {
        var store = await _parties.CreateStoreAsync(await _parties.CreateBankAsync());

        await Raw.ExpectProblemAsync(api.Http, Raw.Post($"/v1/stores/{store.Name}/checkouts", body, store.Token.Token), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task ProposeAgreement_BadKey_Returns422InvalidKey()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var leader = await _parties.CreatePayerAsync(bank, 0, "leader");
        var opened = await store.Session.OpenCheckoutAsync("order-11", "EUR", 800, TimeSpan.FromMinutes(5), ItemsHash);
        var bad = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = "AAAA", ["y"] = "AAAA" };

        await Raw.ExpectRefusalAsync(
            () => leader.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId, [new(leader.Key.PublicKey.ToJson(), bank.Name, 400), new(bad, bank.Name, 400)]),
            422,
            "invalid_key");
        await Raw.ExpectRefusalAsync(
            () => leader.Wallet.ProposeAgreementAsync(store.Name, "AAAAAAAAAAAAAAAAAAAAAA", [new(leader.Key.PublicKey.ToJson(), bank.Name, 800), new(leader.Key.PublicKey.ToJson(), bank.Name, 800)]),
            404,
            "unknown_checkout");
    }

    [Fact]
    public async Task ProposeAgreement_UnregisteredSigner_Returns401()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var stranger = _parties.NewPayer(bank);
        var opened = await store.Session.OpenCheckoutAsync("order-12", "EUR", 800, TimeSpan.FromMinutes(5), ItemsHash);

        await Raw.ExpectRefusalAsync(
            () => stranger.Wallet.ProposeAgreementAsync(store.Name, opened.CheckoutId, [new(stranger.Key.PublicKey.ToJson(), bank.Name, 800)]),
            401,
            "unauthenticated");
    }

    [Fact]
    public async Task SubmitResponse_ForAnotherWallet_Returns403()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var alice = await _parties.CreatePayerAsync(bank, 0, "alice");
        var mallory = await _parties.CreatePayerAsync(bank, 0, "mallory");
        var opened = await store.Session.OpenCheckoutAsync("order-13", "EUR", 800, TimeSpan.FromMinutes(5), ItemsHash);
        var response = new JsonObject { ["purpose"] = "osettle.response.v1", ["wallet"] = alice.WalletId, ["sig"] = "x" };
        var body = Encoding.UTF8.GetBytes(new JsonObject { ["response"] = response }.ToJsonString());

        using var request = await mallory.Wallet.CreateSignedRequestAsync(HttpMethod.Post, $"v1/stores/{store.Name}/checkouts/{opened.CheckoutId}/responses", body, SettlementIds.NewIdempotencyKey());

        await Raw.ExpectProblemAsync(api.Http, request, HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Bundle_NotSignedAtAll_Returns401()
    {
        var store = await _parties.CreateStoreAsync(await _parties.CreateBankAsync());
        var opened = await store.Session.OpenCheckoutAsync("order-14", "EUR", 800, TimeSpan.FromMinutes(5), ItemsHash);

        await Raw.ExpectProblemAsync(api.Http, Raw.Post($"/v1/stores/{store.Name}/checkouts/{opened.CheckoutId}/bundle", "{\"contributions\":[]}", store.Token.Token), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    public void Dispose() => _parties.Dispose();
}
