using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Sdk;

/// <summary>The admin: creates institutions. Authenticated by its bearer token (the service holds its SHA-256 in
/// <c>Api:AdminTokenSha256</c>).</summary>
public sealed class AdminSession
{
    private readonly SettlementClient _client;
    private readonly string _token;

    internal AdminSession(SettlementClient client, string token)
    {
        _client = client;
        _token = token ?? throw new ArgumentNullException(nameof(token));
    }

    /// <summary>Creates an institution whose operator authenticates with the token of <paramref name="operatorToken"/>
    /// (only its SHA-256 is sent).</summary>
    public Task<InstitutionInfo> CreateInstitutionAsync(string institution, string displayName, BearerToken operatorToken, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operatorToken);
        return CreateInstitutionAsync(institution, displayName, operatorToken.Sha256, idempotencyKey, cancellationToken);
    }

    public Task<InstitutionInfo> CreateInstitutionAsync(string institution, string displayName, string operatorTokenSha256, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync<InstitutionInfo>(
            HttpMethod.Post,
            SettlementClient.Path("institutions"),
            new JsonObject { ["institution"] = institution, ["displayName"] = displayName, ["operatorTokenSha256"] = operatorTokenSha256 },
            idempotencyKey,
            Bearer.Authorize(_token),
            cancellationToken);
}

/// <summary>A bank operator of one institution: opens accounts, takes deposits, creates the stores it serves.</summary>
public sealed class OperatorSession
{
    private readonly SettlementClient _client;
    private readonly string _token;

    internal OperatorSession(SettlementClient client, string institution, string token)
    {
        _client = client;
        Institution = institution ?? throw new ArgumentNullException(nameof(institution));
        _token = token ?? throw new ArgumentNullException(nameof(token));
    }

    public string Institution { get; }

    /// <summary>Opens an account owned by a wallet (<paramref name="owner"/> = wallet id) or a store (its name).</summary>
    public Task<AccountInfo> OpenAccountAsync(string account, AccountOwnerKind ownerKind, string owner, string currency, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync<AccountInfo>(
            HttpMethod.Post,
            SettlementClient.Path("institutions", Institution, "accounts"),
            new JsonObject
            {
                ["account"] = account,
                ["ownerKind"] = ownerKind == AccountOwnerKind.Store ? "store" : "wallet",
                ["owner"] = owner,
                ["currency"] = currency,
            },
            idempotencyKey,
            Bearer.Authorize(_token),
            cancellationToken);

    public Task<AccountInfo> GetAccountAsync(string account, CancellationToken cancellationToken = default) =>
        _client.SendAsync<AccountInfo>(HttpMethod.Get, SettlementClient.Path("institutions", Institution, "accounts", account), null, null, Bearer.Authorize(_token), cancellationToken);

    /// <summary>Cash in at the edge. Retry with the same <paramref name="idempotencyKey"/>: the deposit is applied once.</summary>
    public Task<AccountInfo> DepositAsync(string account, long amountMinor, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync<AccountInfo>(
            HttpMethod.Post,
            SettlementClient.Path("institutions", Institution, "accounts", account, "deposits"),
            new JsonObject { ["amountMinor"] = amountMinor },
            idempotencyKey,
            Bearer.Authorize(_token),
            cancellationToken);

    /// <summary>Creates a store paid into <paramref name="account"/> (owned by the store) whose token is <paramref name="storeToken"/>.</summary>
    public Task<StoreInfo> CreateStoreAsync(string store, string displayName, string account, BearerToken storeToken, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storeToken);
        return _client.SendAsync<StoreInfo>(
            HttpMethod.Post,
            SettlementClient.Path("institutions", Institution, "stores"),
            new JsonObject { ["store"] = store, ["displayName"] = displayName, ["account"] = account, ["storeTokenSha256"] = storeToken.Sha256 },
            idempotencyKey,
            Bearer.Authorize(_token),
            cancellationToken);
    }
}

/// <summary>A store: opens checkouts and follows them.</summary>
public sealed class StoreSession
{
    private readonly SettlementClient _client;
    private readonly string _token;

    internal StoreSession(SettlementClient client, string store, string token)
    {
        _client = client;
        Store = store ?? throw new ArgumentNullException(nameof(store));
        _token = token ?? throw new ArgumentNullException(nameof(token));
    }

    public string Store { get; }

    /// <summary>Opens a checkout for <paramref name="totalMinor"/>; the answer carries the checkout id the payers need.</summary>
    public Task<CheckoutInfo> OpenCheckoutAsync(string orderRef, string currency, long totalMinor, TimeSpan expiresIn, string itemsHash, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync<CheckoutInfo>(
            HttpMethod.Post,
            SettlementClient.Path("stores", Store, "checkouts"),
            new JsonObject
            {
                ["orderRef"] = orderRef,
                ["currency"] = currency,
                ["totalMinor"] = totalMinor,
                ["expiresInSeconds"] = (long)expiresIn.TotalSeconds,
                ["itemsHash"] = itemsHash,
            },
            idempotencyKey,
            Bearer.Authorize(_token),
            cancellationToken);

    public Task<CheckoutInfo> GetCheckoutAsync(string checkoutId, CancellationToken cancellationToken = default) =>
        _client.SendAsync<CheckoutInfo>(HttpMethod.Get, SettlementClient.Path("stores", Store, "checkouts", checkoutId), null, null, Bearer.Authorize(_token), cancellationToken);

    /// <summary>Polls the checkout until it is settled or aborted, or <paramref name="timeout"/> passes; returns what it last saw.</summary>
    public async Task<CheckoutInfo> WaitForOutcomeAsync(string checkoutId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = _client.Time.GetUtcNow() + timeout;
        while (true)
        {
            var checkout = await GetCheckoutAsync(checkoutId, cancellationToken).ConfigureAwait(false);
            if (CheckoutStages.IsFinal(checkout.Stage) || _client.Time.GetUtcNow() >= deadline)
            {
                return checkout;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), _client.Time, cancellationToken).ConfigureAwait(false);
        }
    }
}

internal static class Bearer
{
    public static Func<HttpRequestMessage, byte[]?, CancellationToken, ValueTask> Authorize(string token) => (request, _, _) =>
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return ValueTask.CompletedTask;
    };
}
