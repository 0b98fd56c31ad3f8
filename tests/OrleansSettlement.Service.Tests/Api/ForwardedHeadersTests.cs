using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Api;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>Behind a proxy, a wallet signs the public URI; with Api:ForwardedHeaders the API reconstructs it.</summary>
[Collection(ApiCollection.Name)]
public sealed class ForwardedHeadersTests(ApiFixture api) : IDisposable
{
    private const string PublicBase = "https://pay.example.com/";

    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task SignedForThePublicUri_ForwardedHeadersOn_Accepted_Off_Refused()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 0, "alice");
        await using var proxied = ApiHost.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Storage"] = api.StorageConnectionString,
                ["Orleans:ClusterId"] = api.ClusterId,
                ["Api:ForwardedHeaders"] = "true",
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
        });
        await proxied.StartAsync();
        using var proxiedHttp = new HttpClient { BaseAddress = ServiceFixture.AddressOf(proxied) };
        await WaitUntilReadyAsync(proxiedHttp);
        using var publicHttp = new HttpClient { BaseAddress = new Uri(PublicBase) };
        var publicWallet = new SettlementClient(publicHttp).Wallet(alice.Key);

        using var viaProxy = await SignedForPublicUri(publicWallet, alice, proxiedHttp.BaseAddress!);
        using var accepted = await proxiedHttp.SendAsync(viaProxy);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);

        using var direct = await SignedForPublicUri(publicWallet, alice, api.BaseAddress);
        await Raw.ExpectProblemAsync(api.Http, direct, HttpStatusCode.Unauthorized, "unauthenticated");
        await proxied.StopAsync();
    }

    private static async Task<HttpRequestMessage> SignedForPublicUri(WalletSession wallet, ApiPayer payer, Uri actual)
    {
        var request = await wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{payer.WalletId}", null);
        request.RequestUri = new Uri(actual, request.RequestUri!.PathAndQuery);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "pay.example.com");
        return request;
    }

    private static async Task WaitUntilReadyAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The second API did not become ready.");
    }

    public void Dispose() => _parties.Dispose();
}
