using System.Text;
using System.Text.Json;
using CsCheck;
using OrleansSettlement.Api.Endpoints;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Http;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api.Hostile;

/// <summary>How a hostile request presents itself: the route's own credentials, or one of these wrong ones.</summary>
public enum HostileAuth
{
    Valid,
    None,
    GarbageBearer,
    EmptyBearer,
    BasicScheme,
    LongBearer,
    AnotherPartysToken,
    SignatureInsteadOfBearer,
    BearerInsteadOfSignature,
    GarbageSignatureInput,
    SignatureWithoutInput,
    ForgedSignature,
    UnregisteredWallet,
    StaleSignature,
    AnotherWalletForItself,
    GarbageContentDigest,
}

/// <summary>How a hostile request carries its Idempotency-Key.</summary>
public enum HostileKey
{
    Valid,
    Missing,
    Empty,
    TooLong,
    Twice,
    WithSpace,
}

/// <summary>
/// One hostile request to one route: exactly one thing about it is wrong (its body, a path value, a query value, its
/// credentials or its Idempotency-Key) and everything else is what the route wants, so the route must refuse it for that
/// thing, before it acts.
/// </summary>
public sealed record HostileCase(
    ApiRoute Route,
    string Description,
    HostileBody? Body,
    string ContentType,
    string? PathParameter,
    string? PathValue,
    string? QueryParameter,
    string? QueryValue,
    HostileAuth Auth,
    HostileKey Key)
{
    public override string ToString() => $"{Route}: {Description}";

    /// <summary>The request, with <paramref name="world"/>'s real resources and credentials where the case is not hostile.</summary>
    public async Task<HttpRequestMessage> BuildAsync(HostileWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var path = Route.Path(p => p == PathParameter ? PathValue! : Uri.EscapeDataString(world.PathValue(p)));
        var query = Route.QueryParameters.Count == 0 ? "" : "?" + string.Join('&', Route.QueryParameters.Select(q =>
            q + "=" + (q == QueryParameter ? QueryValue : Uri.EscapeDataString(SettlementIds.ItemsHash("query")))));
        var request = new HttpRequestMessage(new HttpMethod(Route.Method), world.UriOf(path + query));
        byte[]? body = null;
        if (Route.IsPost)
        {
            body = Body?.Bytes ?? (Route.RequestExample is { } example ? Encoding.UTF8.GetBytes(example.ToJsonString()) : null);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                if (ContentType.Length > 0)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
                }
            }

            AddKey(request);
        }

        await AddCredentialsAsync(request, body, world);
        return request;
    }

    private void AddKey(HttpRequestMessage request)
    {
        var header = HttpSignatures.IdempotencyKeyHeader;
        switch (Key)
        {
            case HostileKey.Valid:
                request.Headers.TryAddWithoutValidation(header, SettlementIds.NewIdempotencyKey());
                break;
            case HostileKey.Empty:
                request.Headers.TryAddWithoutValidation(header, "");
                break;
            case HostileKey.TooLong:
                request.Headers.TryAddWithoutValidation(header, new string('k', 256));
                break;
            case HostileKey.Twice:
                request.Headers.TryAddWithoutValidation(header, [SettlementIds.NewIdempotencyKey(), SettlementIds.NewIdempotencyKey()]);
                break;
            case HostileKey.WithSpace:
                request.Headers.TryAddWithoutValidation(header, "two words");
                break;
        }
    }

    private async Task AddCredentialsAsync(HttpRequestMessage request, byte[]? body, HostileWorld world)
    {
        var access = Route.Doc?.Access ?? Access.Public;
        switch (Auth)
        {
            case HostileAuth.Valid:
                await world.AuthorizeAsync(request, body, access);
                break;
            case HostileAuth.GarbageBearer:
                HostileWorld.Bearer(request, "not-a-token-anyone-holds");
                break;
            case HostileAuth.EmptyBearer:
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer ");
                break;
            case HostileAuth.BasicScheme:
                request.Headers.TryAddWithoutValidation("Authorization", "Basic YWRtaW46YWRtaW4=");
                break;
            case HostileAuth.LongBearer:
                HostileWorld.Bearer(request, new string('t', 600));
                break;
            case HostileAuth.AnotherPartysToken:
                HostileWorld.Bearer(request, access switch
                {
                    Access.Admin => world.Bank.OperatorToken.Token,
                    Access.Operator => world.OtherBank.OperatorToken.Token,
                    _ => world.OtherStore.Token.Token,
                });
                break;
            case HostileAuth.SignatureInsteadOfBearer or HostileAuth.AnotherWalletForItself:
                await HostileWorld.SignAsync(request, body, Auth == HostileAuth.AnotherWalletForItself ? world.Bob.Key : world.Alice.Key);
                break;
            case HostileAuth.BearerInsteadOfSignature:
                HostileWorld.Bearer(request, world.Store.Token.Token);
                break;
            case HostileAuth.GarbageSignatureInput:
                request.Headers.TryAddWithoutValidation(HttpSignatures.SignatureInputHeader, GarbageInput(world));
                request.Headers.TryAddWithoutValidation(HttpSignatures.SignatureHeader, "sig1=:" + Convert.ToBase64String(new byte[64]) + ":");
                break;
            case HostileAuth.SignatureWithoutInput:
                request.Headers.TryAddWithoutValidation(HttpSignatures.SignatureHeader, "sig1=:" + Convert.ToBase64String(new byte[64]) + ":");
                break;
            case HostileAuth.ForgedSignature:
                await HostileWorld.SignAsync(request, body, world.Alice.Key);
                request.Headers.Remove(HttpSignatures.SignatureHeader);
                request.Headers.TryAddWithoutValidation(HttpSignatures.SignatureHeader, "sig1=:" + Convert.ToBase64String(Enumerable.Range(1, 64).Select(i => (byte)i).ToArray()) + ":");
                break;
            case HostileAuth.UnregisteredWallet:
                using (var stranger = LocalSigner.Generate())
                {
                    await HostileWorld.SignAsync(request, body, stranger);
                }

                break;
            case HostileAuth.GarbageContentDigest:
                await HostileWorld.SignAsync(request, body ?? [], world.Alice.Key, contentDigest: GarbageDigest());
                break;
            case HostileAuth.StaleSignature:
                await HostileWorld.SignAsync(request, body, world.Alice.Key, created: DateTimeOffset.UtcNow.AddMinutes(-10));
                break;
        }
    }

    /// <summary>A signed Content-Digest that is not the body's, in one of seven ways.</summary>
    private string GarbageDigest() => Description[^1] switch
    {
        '1' => "sha-256=:!!!:",
        '2' => "sha-512=:" + Convert.ToBase64String(new byte[64]) + ":",
        '3' => "sha-256=:" + Convert.ToBase64String(new byte[10]) + ":",
        '4' => "sha-256=" + Convert.ToBase64String(new byte[32]),
        '5' => "sha-256=:" + Convert.ToBase64String(new byte[32]) + ":, sha-256=:" + Convert.ToBase64String(new byte[32]) + ":",
        '6' => new string(':', 2000),
        _ => "",
    };

    /// <summary>A Signature-Input that is wrong in one of seven ways (the variant is the description's last digit).</summary>
    private string GarbageInput(HostileWorld world) => Description[^1] switch
    {
        '1' => "sig1",
        '2' => "sig1=(\"@method\" \"@target-uri\");created=99999999999999999999;keyid=\"" + world.Alice.WalletId + "\";nonce=\"0123456789abcdef\"",
        '3' => "sig1=(\"@method\" \"@target-uri\");created=1;keyid=\"" + world.Alice.WalletId + "\";nonce=\"0123456789abcdef\"",
        '4' => "a=(\"@method\"),b=(\"@method\")",
        '5' => "sig1=(\"@method\");keyid=\"\\\"\";nonce=\"x\"",
        '6' => "sig1=(" + new string('"', 3000) + ")",
        _ => "sig1=();created=-1;keyid=\"..\";nonce=\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\"",
    };
}

/// <summary>Generates <see cref="HostileCase"/>s for the routes (CsCheck; the seed reproduces every case).</summary>
public static class HostileCases
{
    /// <summary>
    /// Path values no route takes: each holds a character outside a-z, A-Z, 0-9, '-' and '_', or is longer than any id.
    /// Not NUL (%00): Kestrel refuses a path holding one with a bare 400 before the application sees the request; and no
    /// dot segments (.., %2E%2E): the client and Kestrel resolve them, so the request reaches another route, as it should.
    /// </summary>
    private static readonly Gen<string> BadPathValue = Gen.OneOf(
        Gen.OneOfConst("%FF", "%C0%AF", "%ED%A0%80", "%01", "%2F", "%ZZ", "%", "a%20b", "a.b", "-%0A", "%E2%80%AE", "%F0%9F%92%B8", "x~", "%25", "a%3Fb=c", "UPPER.case", "%7B%7D"),
        Gen.Int[65, 3_000].Select(n => new string('a', n)),
        Gen.String[Gen.Char.Where(c => c is not '\0' and not '.'), 1, 20].Select(s => Uri.EscapeDataString(s + ".")));

    private static readonly Gen<string> BadQueryValue = Gen.OneOf(
        Gen.OneOfConst("", "%FF", "%00", "%ZZ", "%", "a", "-1", "0", "9223372036854775808", "%ED%A0%80", "AAAA", "x&agreementId=y", "a%26b%3Dc"),
        Gen.Int[44, 2_000].Select(n => new string('A', n)));

    public static Gen<HostileCase> For(ApiRoute route, JsonElement schemas)
    {
        ArgumentNullException.ThrowIfNull(route);
        var access = route.Doc?.Access ?? Access.Public;
        var valid = new HostileCase(route, "", null, "application/json", null, null, null, null, HostileAuth.Valid, HostileKey.Valid);
        var choices = new List<(int, Gen<HostileCase>)>();
        if (route.IsPost && route.HasBody)
        {
            choices.Add((6, HostileBodies.For(route, schemas).Select(b => valid with
            {
                Description = $"body {b.Body.Description} as '{b.ContentType}'",
                Body = b.Body,
                ContentType = b.ContentType,
            })));
        }

        if (route.PathParameters.Count > 0)
        {
            choices.Add((2, Gen.Select(Gen.Int[0, route.PathParameters.Count - 1], BadPathValue, (i, value) => valid with
            {
                Description = $"{{{route.PathParameters[i]}}} = '{(value.Length > 40 ? value[..40] + $"...({value.Length})" : value)}'",
                PathParameter = route.PathParameters[i],
                PathValue = value,
            })));
        }

        var auths = WrongCredentials(access);
        if (auths.Length > 0)
        {
            choices.Add((3, Gen.Select(Gen.OneOfConst(auths), Gen.Int[1, 7], (auth, variant) => valid with { Description = $"credentials {auth} #{variant}", Auth = auth })));
        }

        if (route.IsPost)
        {
            choices.Add((1, Gen.OneOfConst(HostileKey.Missing, HostileKey.Empty, HostileKey.TooLong, HostileKey.Twice, HostileKey.WithSpace)
                .Select(key => valid with { Description = $"Idempotency-Key {key}", Key = key })));
        }

        if (route.QueryParameters.Count > 0)
        {
            choices.Add((1, Gen.Select(Gen.Int[0, route.QueryParameters.Count - 1], BadQueryValue, (i, value) => valid with
            {
                Description = $"?{route.QueryParameters[i]}='{(value.Length > 40 ? value[..40] + "..." : value)}'",
                QueryParameter = route.QueryParameters[i],
                QueryValue = value,
            })));
        }

        return choices.Count == 0 ? Gen.Const(valid with { Description = "no hostile input applies" }) : Gen.Frequency([.. choices]);
    }

    /// <summary>The wrong credentials for a route of <paramref name="access"/> (none for a public route).</summary>
    public static HostileAuth[] WrongCredentials(Access access) => access switch
    {
        Access.Public => [],
        Access.Admin or Access.Operator or Access.Store =>
        [
            HostileAuth.None, HostileAuth.GarbageBearer, HostileAuth.EmptyBearer, HostileAuth.BasicScheme, HostileAuth.LongBearer,
            HostileAuth.AnotherPartysToken, HostileAuth.SignatureInsteadOfBearer,
        ],
        Access.StoreOrWallet =>
        [
            HostileAuth.None, HostileAuth.GarbageBearer, HostileAuth.AnotherPartysToken, HostileAuth.GarbageSignatureInput,
            HostileAuth.SignatureWithoutInput, HostileAuth.ForgedSignature, HostileAuth.UnregisteredWallet, HostileAuth.StaleSignature,
        ],
        Access.WalletSelf =>
        [
            HostileAuth.None, HostileAuth.BearerInsteadOfSignature, HostileAuth.GarbageSignatureInput, HostileAuth.SignatureWithoutInput,
            HostileAuth.ForgedSignature, HostileAuth.UnregisteredWallet, HostileAuth.StaleSignature, HostileAuth.GarbageContentDigest, HostileAuth.AnotherWalletForItself,
        ],
        _ =>
        [
            HostileAuth.None, HostileAuth.BearerInsteadOfSignature, HostileAuth.GarbageSignatureInput, HostileAuth.SignatureWithoutInput,
            HostileAuth.ForgedSignature, HostileAuth.UnregisteredWallet, HostileAuth.StaleSignature, HostileAuth.GarbageContentDigest,
        ],
    };
}
