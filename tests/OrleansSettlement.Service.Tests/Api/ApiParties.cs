using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>A bank created through the API, with its operator's token and session.</summary>
public sealed record ApiBank(string Name, BearerToken OperatorToken, OperatorSession Operator);

/// <summary>A store created through the API: its bank, its account there, its token and session.</summary>
public sealed record ApiStore(string Name, string Institution, string Account, BearerToken Token, StoreSession Session);

/// <summary>A payer: a key that never leaves the test, its wallet session, its bank and its account.</summary>
public sealed record ApiPayer(string Label, LocalSigner Key, WalletSession Wallet, string Institution, string Account)
{
    public string WalletId => Wallet.WalletId;
}

/// <summary>
/// Builds the parties of an API test through the API itself, as partners would with the SDK: banks (admin), accounts and
/// deposits (operators), stores (operators), wallets (registered by their own keys) and notes (withdrawn by the wallets).
/// Every name gets a random suffix, so tests sharing one service never collide.
/// </summary>
public sealed class ApiParties(ApiFixture api) : IDisposable
{
    public const string Currency = "EUR";

    private readonly List<LocalSigner> _keys = [];

    public ApiFixture Api { get; } = api;

    public SettlementClient Client => Api.Client;

    public AdminSession Admin => Client.Admin(Api.AdminToken.Token);

    /// <summary>A name unique to this test run: <paramref name="prefix"/> and 8 random hex digits.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public async Task<ApiBank> CreateBankAsync(string prefix = "bank")
    {
        var name = UniqueName(prefix);
        var token = BearerToken.Create();
        await Admin.CreateInstitutionAsync(name, $"Bank {name}", token);
        return new ApiBank(name, token, Client.Operator(name, token.Token));
    }

    public async Task<ApiStore> CreateStoreAsync(ApiBank bank, string prefix = "store")
    {
        ArgumentNullException.ThrowIfNull(bank);
        var name = UniqueName(prefix);
        var account = name + "-till";
        await bank.Operator.OpenAccountAsync(account, AccountOwnerKind.Store, name, Currency);
        var token = BearerToken.Create();
        await bank.Operator.CreateStoreAsync(name, $"Store {name}", account, token);
        return new ApiStore(name, bank.Name, account, token, Client.Store(name, token.Token));
    }

    /// <summary>A payer with a fresh key, an account at <paramref name="bank"/> holding <paramref name="depositMinor"/> and a
    /// registered wallet.</summary>
    public async Task<ApiPayer> CreatePayerAsync(ApiBank bank, long depositMinor, string label = "payer")
    {
        ArgumentNullException.ThrowIfNull(bank);
        var payer = NewPayer(bank, label);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, Currency);
        if (depositMinor > 0)
        {
            await bank.Operator.DepositAsync(payer.Account, depositMinor);
        }

        await payer.Wallet.RegisterAsync(bank.Name, payer.Account);
        return payer;
    }

    /// <summary>A payer whose account and wallet do not exist yet.</summary>
    public ApiPayer NewPayer(ApiBank bank, string label = "payer")
    {
        ArgumentNullException.ThrowIfNull(bank);
        var key = LocalSigner.Generate();
        _keys.Add(key);
        return new ApiPayer(label, key, Client.Wallet(key), bank.Name, UniqueName(label));
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}

/// <summary>Raw HTTP requests and problem checks, for what the SDK would never send.</summary>
public static class Raw
{
    public static HttpRequestMessage Post(string path, string body, string? bearer = null, string? idempotencyKey = "auto")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey == "auto" ? SettlementIds.NewIdempotencyKey() : idempotencyKey);
        }

        return request;
    }

    public static HttpRequestMessage Get(string path, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }

    /// <summary>Sends <paramref name="request"/> and asserts an RFC 9457 problem with <paramref name="status"/> and
    /// <paramref name="code"/> and every member the API promises; returns the problem.</summary>
    public static async Task<JsonElement> ExpectProblemAsync(HttpClient http, HttpRequestMessage request, HttpStatusCode status, string code)
    {
        ArgumentNullException.ThrowIfNull(http);
        using (request)
        {
            using var response = await http.SendAsync(request);
            return await ExpectProblemAsync(response, status, code);
        }
    }

    public static async Task<JsonElement> ExpectProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        var problem = document.RootElement.Clone();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(Problems.TypeBase + code, problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("traceId").GetString()));
        Assert.DoesNotContain(" at OrleansSettlement", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        return problem;
    }

    /// <summary>Runs an SDK call that must be refused with <paramref name="status"/> and <paramref name="code"/>.</summary>
    public static async Task<SettlementApiException> ExpectRefusalAsync(Func<Task> call, int status, string code)
    {
        ArgumentNullException.ThrowIfNull(call);
        var refusal = await Assert.ThrowsAsync<SettlementApiException>(call);
        Assert.True(refusal.Status == status && refusal.Code == code, $"expected {status} {code}, got {refusal.Status} {refusal.Code}: {refusal.Detail}");
        Assert.False(string.IsNullOrWhiteSpace(refusal.Detail));
        return refusal;
    }
}
