using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansSettlement.Api.Endpoints;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Http;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Api.Hostile;

namespace OrleansSettlement.Service.Tests.Api.Authorization;

/// <summary>
/// Every authorization boundary, for every protected route of the running API (read from its endpoint data source and the
/// <see cref="RouteDoc"/> each route carries, so a route added later is covered): bank operators', stores' and the admin's
/// bearer tokens (missing, malformed, unknown, another party's, on another party's resource) and wallets' RFC 9421
/// request signatures (missing, forged, by an unregistered key, stale or from the future, replayed, over another body,
/// another target, another method or another Idempotency-Key, by another wallet for a wallet's own routes). Each refusal
/// is checked for its exact status and code, and a control request with the route's own credentials shows that the
/// boundary is what refused. The per-route tests of Api/*RouteTests check the same boundaries on chosen routes with the
/// SDK; these extend them to every route.
/// </summary>
[Collection(HostileCollection.Name)]
public sealed class AuthorizationBoundaryTests(ApiFixture api) : IAsyncLifetime
{
    private HostileWorld _world = null!;
    private IReadOnlyList<ApiRoute> _routes = [];

    private static readonly Access[] BearerAccess = [Access.Admin, Access.Operator, Access.Store, Access.StoreOrWallet];
    private static readonly Access[] SignedAccess = [Access.Wallet, Access.WalletSelf, Access.NewWallet, Access.StoreOrWallet];

    public async Task InitializeAsync()
    {
        _world = await HostileWorld.CreateAsync(api);
        using var response = await api.Http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        _routes = [.. ApiRoutes.Read(api.ApiServices, document.RootElement).Where(r => r.Doc is { Access: not Access.Public }).Select(_world.Aim)];
    }

    public Task DisposeAsync()
    {
        _world.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task EveryProtectedRoute_ItsOwnCredentials_PassTheBoundary()
    {
        Assert.NotEmpty(_routes);
        var failures = new List<string>();
        foreach (var route in _routes)
        {
            using var request = Request(route);
            await _world.AuthorizeAsync(request, BodyOf(request), route.Doc!.Access);
            var answer = await AnswerChecks.SendAsync(api.Http, request);
            if (answer.StatusCode is 401 or 403 || answer.StatusCode >= 500)
            {
                failures.Add($"{route}: {answer}");
            }
        }

        Assert.True(failures.Count == 0, "the route's own credentials were refused:\n" + string.Join('\n', failures));
    }

    [Fact]
    public async Task EveryProtectedRoute_NoCredentials_401Unauthenticated()
    {
        var failures = new List<string>();
        foreach (var route in _routes)
        {
            await ExpectAsync(failures, route, "no credentials", Request(route), HttpStatusCode.Unauthorized, "unauthenticated");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task BearerRoutes_MalformedUnknownOrAnotherPartysToken_Refused()
    {
        var failures = new List<string>();
        foreach (var route in RoutesWith(BearerAccess))
        {
            foreach (var header in new[] { "Basic YWRtaW46YWRtaW4=", "Bearer ", "Bearer " + new string('t', 600), "Bearer two tokens", "bearer" })
            {
                var request = Request(route);
                request.Headers.TryAddWithoutValidation("Authorization", header);
                await ExpectAsync(failures, route, $"Authorization '{header[..Math.Min(20, header.Length)]}'", request, HttpStatusCode.Unauthorized, "unauthenticated");
            }

            foreach (var (who, token) in OtherTokens(route.Doc!.Access).Append(("an unknown token", BearerToken.Create().Token)))
            {
                var request = Request(route);
                HostileWorld.Bearer(request, token);
                await ExpectAsync(failures, route, who, request, HttpStatusCode.Forbidden, "forbidden");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task OperatorAndStoreRoutes_TheirOwnTokenOnAnotherPartysResource_403()
    {
        var failures = new List<string>();
        foreach (var route in RoutesWith(Access.Operator, Access.Store, Access.StoreOrWallet))
        {
            // The other bank's operator on its own bank's path is let in: here the token is this world's, the path the other's.
            var request = Request(route, p => p switch
            {
                "institution" => _world.OtherBank.Name,
                "store" => _world.OtherStore.Name,
                _ => _world.PathValue(p),
            });
            HostileWorld.Bearer(request, route.Doc!.Access == Access.Operator ? _world.Bank.OperatorToken.Token : _world.Store.Token.Token);
            await ExpectAsync(failures, route, "its own token on another party's path", request, HttpStatusCode.Forbidden, "forbidden");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task SignedRoutes_ForgedUnregisteredStaleOrFuture_401()
    {
        var failures = new List<string>();
        foreach (var route in RoutesWith(SignedAccess))
        {
            var forged = Request(route);
            await SignAsync(forged, route);
            var signature = forged.Headers.GetValues(HttpSignatures.SignatureHeader).Single();
            var bytes = Convert.FromBase64String(signature["sig1=:".Length..^1]);
            bytes[17] ^= 0x01;
            forged.Headers.Remove(HttpSignatures.SignatureHeader);
            forged.Headers.TryAddWithoutValidation(HttpSignatures.SignatureHeader, "sig1=:" + Convert.ToBase64String(bytes) + ":");
            await ExpectAsync(failures, route, "one bit of the signature flipped", forged, HttpStatusCode.Unauthorized, "unauthenticated");

            using (var stranger = LocalSigner.Generate())
            {
                var unregistered = Request(route);
                await HostileWorld.SignAsync(unregistered, BodyOf(unregistered), stranger);
                await ExpectAsync(failures, route, "signed by an unregistered key", unregistered, HttpStatusCode.Unauthorized, "unauthenticated");
            }

            foreach (var (label, created) in new[] { ("created 6 minutes ago", DateTimeOffset.UtcNow.AddMinutes(-6)), ("created 2 minutes ahead", DateTimeOffset.UtcNow.AddMinutes(2)) })
            {
                var stale = Request(route);
                await SignAsync(stale, route, created: created);
                await ExpectAsync(failures, route, label, stale, HttpStatusCode.Unauthorized, "signature_expired");
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task SignedRoutes_TheSameSignatureTwice_SecondIsReplayedRequest()
    {
        var failures = new List<string>();
        foreach (var route in RoutesWith(SignedAccess))
        {
            var nonce = SettlementIds.NewIdempotencyKey();
            var created = DateTimeOffset.UtcNow;
            var key = SettlementIds.NewIdempotencyKey();
            using var first = Request(route, idempotencyKey: key);
            await SignAsync(first, route, created: created, nonce: nonce);
            var answer = await AnswerChecks.SendAsync(api.Http, first);
            if (answer.StatusCode is 401 or 403)
            {
                failures.Add($"{route}: the first request was refused at the boundary: {answer}");
                continue;
            }

            var copy = Request(route, idempotencyKey: key);
            await SignAsync(copy, route, created: created, nonce: nonce);
            await ExpectAsync(failures, route, "the same signature again", copy, HttpStatusCode.Unauthorized, "replayed_request");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task SignedRoutes_SignatureOverAnotherTargetMethodBodyOrKey_Refused()
    {
        var failures = new List<string>();
        foreach (var route in RoutesWith(SignedAccess))
        {
            var retargeted = Request(route);
            await SignAsync(retargeted, route, signedTarget: _world.UriOf("/v1/wallets/" + _world.Bob.WalletId).ToString());
            await ExpectAsync(failures, route, "signed for another target URI", retargeted, HttpStatusCode.Unauthorized, "unauthenticated");

            var query = Request(route);
            await SignAsync(query, route, signedTarget: query.RequestUri + (query.RequestUri!.Query.Length == 0 ? "?" : "&") + "extra=1");
            await ExpectAsync(failures, route, "signed with another query", query, HttpStatusCode.Unauthorized, "unauthenticated");

            if (!route.IsPost)
            {
                continue;
            }

            var otherMethod = Request(route);
            var asGet = new HttpRequestMessage(HttpMethod.Get, otherMethod.RequestUri);
            await HostileWorld.SignAsync(asGet, null, SignerFor(route));
            otherMethod.Headers.TryAddWithoutValidation(HttpSignatures.SignatureInputHeader, asGet.Headers.GetValues(HttpSignatures.SignatureInputHeader));
            otherMethod.Headers.TryAddWithoutValidation(HttpSignatures.SignatureHeader, asGet.Headers.GetValues(HttpSignatures.SignatureHeader));
            asGet.Dispose();
            await ExpectAsync(failures, route, "a GET's signature on a POST", otherMethod, HttpStatusCode.Unauthorized, "unauthenticated");

            // The body changed and its Content-Digest with it: the signature covered the old digest.
            var otherBody = Request(route);
            await SignAsync(otherBody, route, signedBody: Encoding.UTF8.GetBytes("{\"signed\":\"another body\"}"));
            otherBody.Headers.Remove(HttpSignatures.ContentDigestHeader);
            otherBody.Headers.TryAddWithoutValidation(HttpSignatures.ContentDigestHeader, HttpSignatures.ContentDigest(BodyOf(otherBody)!));
            await ExpectAsync(failures, route, "a body the signature did not cover", otherBody, HttpStatusCode.Unauthorized, "unauthenticated");

            // The body changed, the signed Content-Digest left as it was: the digest no longer matches the body.
            var swapped = Request(route);
            await SignAsync(swapped, route, signedBody: Encoding.UTF8.GetBytes("{\"signed\":\"another body\"}"));
            await ExpectAsync(failures, route, "a body that is not the signed digest's", swapped, HttpStatusCode.UnprocessableEntity, "digest_mismatch");

            var rekeyed = Request(route);
            await SignAsync(rekeyed, route);
            rekeyed.Headers.Remove(HttpSignatures.IdempotencyKeyHeader);
            rekeyed.Headers.TryAddWithoutValidation(HttpSignatures.IdempotencyKeyHeader, SettlementIds.NewIdempotencyKey());
            await ExpectAsync(failures, route, "an Idempotency-Key the signature did not cover", rekeyed, HttpStatusCode.Unauthorized, "unauthenticated");

            var undigested = Request(route);
            await SignAsync(undigested, route);
            undigested.Headers.Remove(HttpSignatures.ContentDigestHeader);
            await ExpectAsync(failures, route, "a body without Content-Digest", undigested, HttpStatusCode.Unauthorized, "unauthenticated");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task WalletSelfRoutes_AnotherWalletsValidSignature_403()
    {
        var failures = new List<string>();
        foreach (var route in RoutesWith(Access.WalletSelf))
        {
            var request = Request(route);
            await HostileWorld.SignAsync(request, BodyOf(request), _world.Bob.Key);
            await ExpectAsync(failures, route, "bob's signature on alice's route", request, HttpStatusCode.Forbidden, "forbidden");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>The protected routes of these kinds of access; there must be some, or the test would check nothing.</summary>
    private List<ApiRoute> RoutesWith(params Access[] access)
    {
        var routes = _routes.Where(r => access.Contains(r.Doc!.Access)).ToList();
        Assert.NotEmpty(routes);
        return routes;
    }

    /// <summary>A request to <paramref name="route"/> at the world's resources, with a body every route refuses after its
    /// boundary (an empty object; a registration names only its key), so none of these requests can act.</summary>
    private HttpRequestMessage Request(ApiRoute route, Func<string, string>? pathValue = null, string? idempotencyKey = null)
    {
        var value = pathValue ?? _world.PathValue;
        var path = route.Path(p => Uri.EscapeDataString(value(p)));
        var query = route.QueryParameters.Count == 0 ? "" : "?" + string.Join('&', route.QueryParameters.Select(q => q + "=" + SettlementIds.ItemsHash(q)));
        var request = new HttpRequestMessage(new HttpMethod(route.Method), _world.UriOf(path + query));
        if (route.IsPost)
        {
            var body = route.Doc!.Access == Access.NewWallet ? new JsonObject { ["key"] = _world.Registrant.PublicKey.ToJson() } : [];
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToJsonString()));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            request.Headers.TryAddWithoutValidation(HttpSignatures.IdempotencyKeyHeader, idempotencyKey ?? SettlementIds.NewIdempotencyKey());
        }

        return request;
    }

    private static byte[]? BodyOf(HttpRequestMessage request) =>
        request.Content is ByteArrayContent content ? content.ReadAsByteArrayAsync().GetAwaiter().GetResult() : null;

    private ISigner SignerFor(ApiRoute route) => route.Doc!.Access == Access.NewWallet ? _world.Registrant : _world.Alice.Key;

    private Task SignAsync(HttpRequestMessage request, ApiRoute route, DateTimeOffset? created = null, string? nonce = null, string? signedTarget = null, byte[]? signedBody = null) =>
        HostileWorld.SignAsync(request, BodyOf(request), SignerFor(route), created, nonce, signedTarget, signedBody);

    /// <summary>Tokens that are real but not the route's: every other party's.</summary>
    private IEnumerable<(string Who, string Token)> OtherTokens(Access access)
    {
        var all = new (string Who, string Token, Access? Owner)[]
        {
            ("the admin's token", api.AdminToken.Token, Access.Admin),
            ("the bank's operator token", _world.Bank.OperatorToken.Token, Access.Operator),
            ("another bank's operator token", _world.OtherBank.OperatorToken.Token, null),
            ("the store's token", _world.Store.Token.Token, Access.Store),
            ("another store's token", _world.OtherStore.Token.Token, null),
        };
        var own = access == Access.StoreOrWallet ? Access.Store : access;
        return all.Where(t => t.Owner != own).Select(t => (t.Who, t.Token));
    }

    private async Task ExpectAsync(List<string> failures, ApiRoute route, string what, HttpRequestMessage request, HttpStatusCode status, string code)
    {
        using (request)
        {
            var answer = await AnswerChecks.SendAsync(api.Http, request);
            if (answer.Status != status || answer.Code != code)
            {
                failures.Add($"{route}, {what}: expected {(int)status} {code}, got {answer}");
            }

            failures.AddRange(AnswerChecks.Judge(answer, route, mustRefuse: true, _world.Secrets).Select(f => $"{route}, {what}: {f}"));
        }
    }
}
