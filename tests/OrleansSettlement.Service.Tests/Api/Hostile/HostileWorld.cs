using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using OrleansSettlement.Api.Endpoints;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Http;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api.Hostile;

/// <summary>The API tests that send hostile requests: their own service, so that nothing else writes while they compare
/// the stored rows before and after.</summary>
[CollectionDefinition(Name)]
public sealed class HostileCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "Hostile";
}

/// <summary>
/// The parties hostile requests aim at, made through the API: two banks with their operators, two stores, an open
/// checkout, alice (registered, with money) and bob (registered). <see cref="PathValue"/> names a real resource for each
/// route parameter, and <see cref="AuthorizeAsync"/> adds the credentials a route's <see cref="Access"/> asks for, so a
/// request is refused for exactly what a test made hostile.
/// </summary>
public sealed class HostileWorld : IDisposable
{
    private HostileWorld(ApiFixture api, ApiParties parties)
    {
        Api = api;
        Parties = parties;
    }

    public ApiFixture Api { get; }

    public ApiParties Parties { get; }

    public ApiBank Bank { get; private set; } = null!;

    public ApiBank OtherBank { get; private set; } = null!;

    public ApiStore Store { get; private set; } = null!;

    public ApiStore OtherStore { get; private set; } = null!;

    public ApiPayer Alice { get; private set; } = null!;

    public ApiPayer Bob { get; private set; } = null!;

    public string CheckoutId { get; private set; } = "";

    public string NoteKid { get; private set; } = "";

    /// <summary>The key a registration (<see cref="Access.NewWallet"/>) is signed with and names in its body; it has no account.</summary>
    public LocalSigner Registrant { get; } = LocalSigner.Generate();

    /// <summary>Every secret of this world: none may ever appear in an answer.</summary>
    public IEnumerable<string> Secrets => [Api.AdminToken.Token, Bank.OperatorToken.Token, OtherBank.OperatorToken.Token, Store.Token.Token, OtherStore.Token.Token];

    public static async Task<HostileWorld> CreateAsync(ApiFixture api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var world = new HostileWorld(api, new ApiParties(api));
        var parties = world.Parties;
        world.Bank = await parties.CreateBankAsync("hbank");
        world.OtherBank = await parties.CreateBankAsync("hother");
        world.Store = await parties.CreateStoreAsync(world.Bank, "hstore");
        world.OtherStore = await parties.CreateStoreAsync(world.OtherBank, "hstore2");
        world.Alice = await parties.CreatePayerAsync(world.Bank, 10_000, "alice");
        world.Bob = await parties.CreatePayerAsync(world.OtherBank, 0, "bob");
        var checkout = await world.Store.Session.OpenCheckoutAsync("order-1", ApiParties.Currency, 1_200, TimeSpan.FromHours(12), SettlementIds.ItemsHash("items"));
        world.CheckoutId = checkout.CheckoutId;
        world.NoteKid = (await api.Client.GetInstitutionAsync(world.Bank.Name)).NoteKeys.Single().Kid;
        return world;
    }

    /// <summary>A real resource for a route parameter (alice for a wallet, her bank and account, the open checkout).</summary>
    public string PathValue(string parameter) => parameter switch
    {
        "institution" => Bank.Name,
        "account" => Alice.Account,
        "store" => Store.Name,
        "checkoutId" => CheckoutId,
        "wallet" => Alice.WalletId,
        "kid" => NoteKid,
        _ => "x",
    };

    /// <summary>The absolute URI of <paramref name="pathAndQuery"/> on the API.</summary>
    public Uri UriOf(string pathAndQuery) => new(Api.BaseAddress, pathAndQuery);

    /// <summary>Adds the credentials that <paramref name="access"/> asks for: the admin's, the bank's operator's or the
    /// store's token, or alice's request signature (a fresh key's for a registration).</summary>
    public async Task AuthorizeAsync(HttpRequestMessage request, byte[]? body, Access access)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (access)
        {
            case Access.Admin:
                Bearer(request, Api.AdminToken.Token);
                break;
            case Access.Operator:
                Bearer(request, Bank.OperatorToken.Token);
                break;
            case Access.Store or Access.StoreOrWallet:
                Bearer(request, Store.Token.Token);
                break;
            case Access.Wallet or Access.WalletSelf:
                await SignAsync(request, body, Alice.Key);
                break;
            case Access.NewWallet:
                await SignAsync(request, body, Registrant);
                break;
        }
    }

    public static void Bearer(HttpRequestMessage request, string token)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Signs <paramref name="request"/> as a wallet does (RFC 9421, see the SDK): over its method, its target URI,
    /// the Content-Digest of <paramref name="body"/> and its Idempotency-Key.</summary>
    public static async Task SignAsync(HttpRequestMessage request, byte[]? body, ISigner signer, DateTimeOffset? created = null, string? nonce = null, string? signedTarget = null, byte[]? signedBody = null, string? contentDigest = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(signer);
        var uri = request.RequestUri!;
        var digest = contentDigest ?? (body is null ? null : HttpSignatures.ContentDigest(signedBody ?? body));
        var idempotencyKey = request.Headers.TryGetValues(HttpSignatures.IdempotencyKeyHeader, out var keys) ? keys.First() : null;
        var parts = new SignedRequestParts(request.Method.Method, signedTarget ?? $"{uri.Scheme}://{uri.Authority}{uri.PathAndQuery}", digest, idempotencyKey);
        var (input, signature) = await HttpSignatures.SignAsync(parts, signer, created ?? DateTimeOffset.UtcNow, nonce);
        if (digest is not null)
        {
            request.Headers.TryAddWithoutValidation(HttpSignatures.ContentDigestHeader, digest);
        }

        request.Headers.TryAddWithoutValidation(HttpSignatures.SignatureInputHeader, input);
        request.Headers.TryAddWithoutValidation(HttpSignatures.SignatureHeader, signature);
    }

    /// <summary>The route as hostile requests see it: a registration's example names <see cref="Registrant"/>'s key, so
    /// that its signature verifies and the body itself is what gets refused.</summary>
    public ApiRoute Aim(ApiRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (route.Doc?.Access != Access.NewWallet || route.RequestExample is not JsonObject example || !example.ContainsKey("key"))
        {
            return route;
        }

        var patched = example.DeepClone().AsObject();
        patched["key"] = Registrant.PublicKey.ToJson();
        return route with { RequestExample = patched };
    }

    public void Dispose()
    {
        Parties.Dispose();
        Registrant.Dispose();
    }
}
