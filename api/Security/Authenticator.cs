using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Http;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Api.Security;

public enum CallerKind
{
    Public = 0,
    Admin = 1,
    Operator = 2,
    Store = 3,
    Wallet = 4,
}

/// <summary>Who made a request, once authenticated: the admin, a bank's operator, a store or a wallet.</summary>
/// <param name="Kind">The kind of caller.</param>
/// <param name="Name">The institution, store or wallet id it acts as (empty for the admin and the public).</param>
/// <param name="Wallet">The wallet's registered profile, for a wallet caller that is registered.</param>
public sealed record Caller(CallerKind Kind, string Name, WalletProfile? Wallet = null)
{
    public static Caller Public { get; } = new(CallerKind.Public, "");

    /// <summary>The caller's scope for idempotency keys: <c>wallet:&lt;id&gt;</c>, <c>store:&lt;name&gt;</c> and so on.</summary>
    public string Id => Kind switch
    {
        CallerKind.Admin => "admin",
        CallerKind.Operator => "operator:" + Name,
        CallerKind.Store => "store:" + Name,
        CallerKind.Wallet => "wallet:" + Name,
        _ => "public",
    };
}

/// <summary>
/// Authenticates and authorizes requests. Bearer tokens (admin, bank operators, stores) are compared by their SHA-256;
/// wallets sign every request (RFC 9421, <see cref="HttpSignatures"/>): the signature must verify with the wallet's
/// registered key, lie within its time window, cover a Content-Digest that matches the body, and not be a replay.
/// </summary>
public sealed partial class Authenticator(
    IGrainFactory grains,
    IOptions<ApiOptions> options,
    NonceCache nonces,
    TimeProvider time,
    ILogger<Authenticator> logger)
{
    /// <summary>The admin: the bearer token whose SHA-256 is <see cref="ApiOptions.AdminTokenSha256"/>.</summary>
    public Outcome<Caller> Admin(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (BearerTokens.Read(http.Request) is not { } token)
        {
            return MissingBearer("the admin");
        }

        var configured = options.Value.AdminTokenSha256;
        if (string.IsNullOrWhiteSpace(configured))
        {
            return Outcome<Caller>.Fail(ProtocolErrorCode.Forbidden, "no admin credential is configured on this service (Api:AdminTokenSha256).");
        }

        return BearerTokens.Matches(token, configured)
            ? Outcome<Caller>.Ok(new Caller(CallerKind.Admin, ""))
            : Outcome<Caller>.Fail(ProtocolErrorCode.Forbidden, "the bearer token is not the admin's.");
    }

    /// <summary>An operator of <paramref name="institution"/>: a bearer token whose SHA-256 the institution holds.</summary>
    public async Task<Outcome<Caller>> Operator(HttpContext http, string institution)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (BearerTokens.Read(http.Request) is not { } token)
        {
            return MissingBearer($"an operator of institution '{Truncate(institution)}'");
        }

        if (!Names.IsValid(institution))
        {
            return Outcome<Caller>.Fail(ProtocolErrorCode.UnknownInstitution, $"there is no institution named '{Truncate(institution)}'.");
        }

        var grain = grains.GetGrain<IInstitutionGrain>(institution);
        if (await grain.IsOperator(BearerTokens.Hash(token)).ConfigureAwait(false))
        {
            return Outcome<Caller>.Ok(new Caller(CallerKind.Operator, institution));
        }

        return await grain.GetProfile().ConfigureAwait(false) is null
            ? Outcome<Caller>.Fail(ProtocolErrorCode.UnknownInstitution, $"there is no institution named '{institution}'.")
            : Outcome<Caller>.Fail(ProtocolErrorCode.Forbidden, $"the bearer token is not an operator credential of institution '{institution}'.");
    }

    /// <summary>The store <paramref name="store"/>: a bearer token whose SHA-256 the store holds.</summary>
    public async Task<Outcome<Caller>> Store(HttpContext http, string store)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (BearerTokens.Read(http.Request) is not { } token)
        {
            return MissingBearer($"store '{Truncate(store)}'");
        }

        return await StoreToken(token, store).ConfigureAwait(false);
    }

    /// <summary>The store's token or, when the request is signed, any registered wallet (a checkout id is a capability).</summary>
    public async Task<Outcome<Caller>> StoreOrWallet(HttpContext http, string store)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Request.Headers.ContainsKey(HttpSignatures.SignatureInputHeader))
        {
            return await Wallet(http, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
        }

        if (BearerTokens.Read(http.Request) is not { } token)
        {
            return Outcome<Caller>.Fail(ProtocolErrorCode.Unauthenticated, $"this request needs the bearer token of store '{Truncate(store)}' or a wallet's request signature (RFC 9421).");
        }

        return await StoreToken(token, store).ConfigureAwait(false);
    }

    /// <summary>A registered wallet, named by the signature's keyid, whose key signed the request.</summary>
    public async Task<Outcome<Caller>> Wallet(HttpContext http, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(http);
        var input = HttpSignatures.ParseInput(http.Request.Headers[HttpSignatures.SignatureInputHeader].ToString());
        if (!input.TryGetValue(out var parameters, out var badInput))
        {
            return Refused(badInput);
        }

        if (BinaryIds.Check(parameters.KeyId, "keyid", BinaryIds.HashBytes, BinaryIds.HashBytes) is { IsOk: false })
        {
            return Refused(new ProtocolError(ProtocolErrorCode.Unauthenticated, "the signature's keyid must be a wallet id (the RFC 7638 thumbprint of the wallet key)."));
        }

        var profile = await grains.GetGrain<IWalletGrain>(parameters.KeyId).GetProfile().ConfigureAwait(false);
        if (profile is null || !PublicJwk.Parse(profile.PublicJwkJson).TryGetValue(out var key, out _))
        {
            return Refused(new ProtocolError(ProtocolErrorCode.Unauthenticated, $"no wallet is registered with keyid {parameters.KeyId}."));
        }

        var verified = Verify(http, body, parameters, key);
        return verified is null
            ? Outcome<Caller>.Ok(new Caller(CallerKind.Wallet, profile.WalletId, profile))
            : Refused(verified);
    }

    /// <summary>The wallet <paramref name="wallet"/> itself: a registered wallet's signature whose keyid is that wallet.</summary>
    public async Task<Outcome<Caller>> WalletSelf(HttpContext http, ReadOnlyMemory<byte> body, string wallet)
    {
        var caller = await Wallet(http, body).ConfigureAwait(false);
        if (caller.IsOk && !string.Equals(caller.Value.Name, wallet, StringComparison.Ordinal))
        {
            return Outcome<Caller>.Fail(ProtocolErrorCode.Forbidden, $"wallet {caller.Value.Name} may not act for wallet {Truncate(wallet)}: a wallet reads and acts only for itself.");
        }

        return caller;
    }

    /// <summary>A wallet registering <paramref name="key"/>: the request is signed by that key and keyid is its thumbprint.</summary>
    public Outcome<Caller> NewWallet(HttpContext http, ReadOnlyMemory<byte> body, PublicJwk key)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(key);
        var input = HttpSignatures.ParseInput(http.Request.Headers[HttpSignatures.SignatureInputHeader].ToString());
        if (!input.TryGetValue(out var parameters, out var badInput))
        {
            return Refused(badInput);
        }

        if (!string.Equals(parameters.KeyId, key.Thumbprint, StringComparison.Ordinal))
        {
            return Refused(new ProtocolError(ProtocolErrorCode.Unauthenticated, $"the signature's keyid must be the thumbprint of the key being registered, {key.Thumbprint}."));
        }

        var verified = Verify(http, body, parameters, key);
        return verified is null ? Outcome<Caller>.Ok(new Caller(CallerKind.Wallet, key.Thumbprint)) : Refused(verified);
    }

    private ProtocolError? Verify(HttpContext http, ReadOnlyMemory<byte> body, SignatureParameters parameters, PublicJwk key)
    {
        var request = http.Request;
        var contentDigest = Single(request.Headers[HttpSignatures.ContentDigestHeader]);
        if (contentDigest is null && !body.IsEmpty)
        {
            return new ProtocolError(ProtocolErrorCode.Unauthenticated, "a request with a body must carry a Content-Digest header (RFC 9530, sha-256) and sign it.");
        }

        var idempotencyKey = Single(request.Headers[HttpSignatures.IdempotencyKeyHeader]);
        var parts = new SignedRequestParts(request.Method, TargetUri.Of(http), contentDigest, idempotencyKey);
        var now = time.GetUtcNow();
        if (HttpSignatures.Verify(parts, parameters, Single(request.Headers[HttpSignatures.SignatureHeader]), key, now) is { } bad)
        {
            return bad;
        }

        if (contentDigest is not null && !DigestMatches(contentDigest, body.Span))
        {
            return new ProtocolError(ProtocolErrorCode.DigestMismatch, "the Content-Digest header does not match the request body (sha-256 of the exact bytes sent).");
        }

        var created = DateTimeOffset.FromUnixTimeSeconds(parameters.Created);
        return nonces.TryUse(parameters.KeyId, parameters.Nonce, created + HttpSignatures.MaxAge + TimeSpan.FromSeconds(1), now)
            ? null
            : new ProtocolError(ProtocolErrorCode.ReplayedRequest, "this request signature (keyid and nonce) was used before: sign every request afresh.");
    }

    /// <summary>True when the <c>sha-256</c> member of a Content-Digest dictionary is the SHA-256 of the body.</summary>
    private static bool DigestMatches(string header, ReadOnlySpan<byte> body)
    {
        var expected = SHA256.HashData(body);
        foreach (var member in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            const string Prefix = "sha-256=:";
            if (!member.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || !member.EndsWith(':') || member.Length < Prefix.Length + 1)
            {
                continue;
            }

            var value = member[Prefix.Length..^1];
            var given = new byte[SHA256.HashSizeInBytes];
            return Convert.TryFromBase64String(value, given, out var written) && written == given.Length && given.AsSpan().SequenceEqual(expected);
        }

        return false;
    }

    private async Task<Outcome<Caller>> StoreToken(string token, string store)
    {
        if (!Names.IsValid(store))
        {
            return Outcome<Caller>.Fail(ProtocolErrorCode.UnknownStore, $"there is no store named '{Truncate(store)}'.");
        }

        var grain = grains.GetGrain<IStoreGrain>(store);
        if (await grain.IsStore(BearerTokens.Hash(token)).ConfigureAwait(false))
        {
            return Outcome<Caller>.Ok(new Caller(CallerKind.Store, store));
        }

        return await grain.GetProfile().ConfigureAwait(false) is null
            ? Outcome<Caller>.Fail(ProtocolErrorCode.UnknownStore, $"there is no store named '{store}'.")
            : Outcome<Caller>.Fail(ProtocolErrorCode.Forbidden, $"the bearer token is not the credential of store '{store}'.");
    }

    private Outcome<Caller> Refused(ProtocolError error)
    {
        LogSignatureRefused(logger, error.WireCode);
        return Outcome<Caller>.Fail(error);
    }

    private static Outcome<Caller> MissingBearer(string who) =>
        Outcome<Caller>.Fail(ProtocolErrorCode.Unauthenticated, $"this request needs the bearer token of {who} (Authorization: Bearer <token>).");

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 1 ? values[0] : values.Count == 0 ? null : values.ToString();

    private static string Truncate(string? text) => text is null ? "" : text.Length <= 64 ? text : text[..64] + "...";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Wallet request signature refused: {Code}")]
    private static partial void LogSignatureRefused(ILogger logger, string code);
}
