using Microsoft.AspNetCore.Mvc;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Api.Models;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Api.Endpoints;

/// <summary>Institutions (banks), their accounts and the stores they serve: the admin's and bank operators' routes.</summary>
internal static class InstitutionEndpoints
{
    /// <summary>The longest display name of an institution (as its grain accepts).</summary>
    private const int MaxInstitutionNameLength = 128;

    /// <summary>The longest display name of a store (as its grain accepts).</summary>
    private const int MaxStoreNameLength = 64;

    public static RouteGroupBuilder MapInstitutionEndpoints(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/institutions").WithTags("Institutions");

        group.MapPost("", CreateInstitution)
            .WithName("CreateInstitution")
            .WithSummary("Create an institution (admin).")
            .WithDescription("Creates a bank with fresh note-issuing and messaging keys. The client chooses the operator's bearer token (32 random bytes, base64url) and sends only its SHA-256, so no secret is ever returned. Creating it again with the same content returns it; other content is already_exists.")
            .Accepts<CreateInstitutionRequest>(ApiAnswer.JsonMediaType)
            .Produces<InstitutionResponse>()
            .Documented(Access.Admin, isPost: true, ProtocolErrorCode.AlreadyExists, ProtocolErrorCode.InvalidBase64Url);

        group.MapGet("/{institution}", GetInstitution)
            .WithName("GetInstitution")
            .WithSummary("An institution's public profile and published keys.")
            .Produces<InstitutionResponse>()
            .Documented(Access.Public, isPost: false, ProtocolErrorCode.UnknownInstitution);

        group.MapGet("/{institution}/jwks", GetKeys)
            .WithName("GetInstitutionKeys")
            .WithSummary("The institution's note-issuing keys as a JWK Set, to verify notes offline.")
            .WithDescription("Every note key that is not revoked, with kid (its RFC 7638 thumbprint, the note's kid), use sig and alg ES256.")
            .Produces<JwksResponse>()
            .Documented(Access.Public, isPost: false, ProtocolErrorCode.UnknownInstitution);

        group.MapPost("/{institution}/keys/rotate", RotateNoteKey)
            .WithName("RotateNoteKey")
            .WithSummary("Make a new note-issuing key version active (operator).")
            .WithDescription("New notes are signed with the new version; the previous active version becomes retired and its notes still verify until they expire. No body. With a Key Vault signer the key must have been rotated in the vault first (the route adopts the vault's current version; invalid_field when it is already known). Stores, banks and the JWKS see the change within the profile caches' lifetimes (Banking:ProfileCacheLifetime, 30 s by default; a checkout's institution directory, 1 min). The Idempotency-Key makes a retry safe: one rotation per key.")
            .Produces<InstitutionResponse>()
            .Documented(Access.Operator, isPost: true, ProtocolErrorCode.UnknownInstitution, ProtocolErrorCode.InvalidField);

        group.MapPost("/{institution}/keys/{kid}/revoke", RevokeNoteKey)
            .WithName("RevokeNoteKey")
            .WithSummary("Revoke a retired note-issuing key version (operator).")
            .WithDescription("Notes signed with the revoked version stop verifying: the store refuses them at S3 (unknown_key), the bank votes INVALID at S8 (unknown_key) and the JWKS no longer lists it. It applies everywhere within the profile caches' lifetimes (Banking:ProfileCacheLifetime, 30 s by default; a checkout's institution directory, 1 min), so in the worst case about 1 min. The active version cannot be revoked: rotate first (invalid_field). Revoking a revoked version again returns the profile. No body.")
            .Produces<InstitutionResponse>()
            .Documented(Access.Operator, isPost: true, ProtocolErrorCode.UnknownInstitution, ProtocolErrorCode.UnknownKey, ProtocolErrorCode.InvalidField);

        group.MapPost("/{institution}/accounts", OpenAccount)
            .WithName("OpenAccount")
            .WithSummary("Open an account owned by a wallet or a store (operator).")
            .Accepts<OpenAccountRequest>(ApiAnswer.JsonMediaType)
            .Produces<AccountResponse>()
            .Documented(Access.Operator, isPost: true, ProtocolErrorCode.UnknownInstitution, ProtocolErrorCode.AlreadyExists, ProtocolErrorCode.InvalidCurrency, ProtocolErrorCode.InvalidBase64Url);

        group.MapGet("/{institution}/accounts/{account}", GetAccount)
            .WithName("GetAccount")
            .WithSummary("An account's owner and balance (operator).")
            .Produces<AccountResponse>()
            .Documented(Access.Operator, isPost: false, ProtocolErrorCode.UnknownInstitution, ProtocolErrorCode.UnknownAccount);

        group.MapPost("/{institution}/accounts/{account}/deposits", Deposit)
            .WithName("Deposit")
            .WithSummary("Cash in at the edge (operator).")
            .WithDescription("Credits the account. The Idempotency-Key makes a retry safe: the deposit is applied once and the same answer comes back.")
            .Accepts<DepositRequest>(ApiAnswer.JsonMediaType)
            .Produces<AccountResponse>()
            .Documented(Access.Operator, isPost: true, ProtocolErrorCode.UnknownInstitution, ProtocolErrorCode.UnknownAccount, ProtocolErrorCode.NonPositiveAmount, ProtocolErrorCode.AmountOverflow);

        group.MapPost("/{institution}/stores", CreateStore)
            .WithName("CreateStore")
            .WithSummary("Create a store paid into an account at this institution (operator of the store's bank).")
            .WithDescription("The account must exist and be owned by the store. The client chooses the store's bearer token and sends only its SHA-256.")
            .Accepts<CreateStoreRequest>(ApiAnswer.JsonMediaType)
            .Produces<StoreResponse>()
            .Documented(Access.Operator, isPost: true, ProtocolErrorCode.UnknownInstitution, ProtocolErrorCode.UnknownAccount, ProtocolErrorCode.AlreadyExists, ProtocolErrorCode.InvalidBase64Url);

        return v1;
    }

    private static Task<IResult> CreateInstitution(HttpContext http, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => Task.FromResult(auth.Admin(request.Http)), async request =>
        {
            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            var institution = body.Name("institution");
            var displayName = body.Text("displayName", MaxInstitutionNameLength);
            var tokenHash = body.Hash("operatorTokenSha256");
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            return await request.RunOnceAsync(async _ =>
            {
                var reply = await api.Grains.GetGrain<IInstitutionGrain>(institution).Create(displayName, tokenHash).ConfigureAwait(false);
                return Answers.From(http, reply, InstitutionResponse.From);
            }).ConfigureAwait(false);
        });

    private static Task<IResult> GetInstitution(HttpContext http, string institution, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, _ => Answers.Anyone(), async _ =>
        {
            var profile = await Profile(api, institution).ConfigureAwait(false);
            return profile is null ? UnknownInstitution(http, institution) : ApiAnswer.Ok(InstitutionResponse.From(profile));
        });

    private static Task<IResult> GetKeys(HttpContext http, string institution, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, _ => Answers.Anyone(), async _ =>
        {
            var profile = await Profile(api, institution).ConfigureAwait(false);
            return profile is null ? UnknownInstitution(http, institution) : ApiAnswer.Ok(JwksResponse.From(profile));
        });

    private static Task<IResult> RotateNoteKey(HttpContext http, string institution, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Operator(request.Http, institution), request =>
            request.RunOnceAsync(async _ =>
            {
                var reply = await api.Grains.GetGrain<IInstitutionGrain>(institution).RotateNoteKey().ConfigureAwait(false);
                return Answers.From(http, reply, InstitutionResponse.From);
            }));

    private static Task<IResult> RevokeNoteKey(HttpContext http, string institution, string kid, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Operator(request.Http, institution), async request =>
        {
            if (BinaryIds.Check(kid, "kid", BinaryIds.HashBytes, BinaryIds.HashBytes) is { IsOk: false })
            {
                return request.Refuse(ProtocolErrorCode.UnknownKey, $"institution '{institution}' has no note key '{Truncate(kid)}'.");
            }

            return await request.RunOnceAsync(async _ =>
            {
                var reply = await api.Grains.GetGrain<IInstitutionGrain>(institution).RevokeNoteKey(kid).ConfigureAwait(false);
                return Answers.From(http, reply, InstitutionResponse.From);
            }).ConfigureAwait(false);
        });

    private static Task<IResult> OpenAccount(HttpContext http, string institution, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Operator(request.Http, institution), async request =>
        {
            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            var account = body.Name("account");
            var kindText = body.String("ownerKind", 16);
            var owner = body.String("owner", 64);
            var currency = body.Currency("currency");
            var kind = OwnerKind.Wallet;
            if (body.Error is null)
            {
                switch (kindText)
                {
                    case "wallet":
                        kind = OwnerKind.Wallet;
                        if (BinaryIds.Check(owner, "owner", BinaryIds.HashBytes, BinaryIds.HashBytes) is { IsOk: false } badWallet)
                        {
                            body.Fail(ProtocolErrorCode.InvalidField, "owner must be a wallet id (the base64url RFC 7638 thumbprint of the wallet key) when ownerKind is wallet: " + badWallet.Error.Detail);
                        }

                        break;
                    case "store":
                        kind = OwnerKind.Store;
                        if (!Names.IsValid(owner))
                        {
                            body.Fail(ProtocolErrorCode.InvalidField, "owner must be a store name (1 to 64 characters of a-z, 0-9 and '-') when ownerKind is store.");
                        }

                        break;
                    default:
                        body.Fail(ProtocolErrorCode.InvalidField, "ownerKind must be 'wallet' or 'store'.");
                        break;
                }
            }

            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            return await request.RunOnceAsync(async _ =>
            {
                var reply = await Account(api, institution, account).Open(kind, owner, currency).ConfigureAwait(false);
                return Answers.From(http, reply, AccountResponse.From);
            }).ConfigureAwait(false);
        });

    private static Task<IResult> GetAccount(HttpContext http, string institution, string account, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.Operator(http, institution), async _ =>
        {
            var view = Names.IsValid(account) ? await Account(api, institution, account).Get().ConfigureAwait(false) : null;
            return view is null
                ? Problems.Answer(http, ProtocolErrorCode.UnknownAccount, $"institution '{institution}' has no account named '{Truncate(account)}'.")
                : ApiAnswer.Ok(AccountResponse.From(view));
        });

    private static Task<IResult> Deposit(HttpContext http, string institution, string account, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Operator(request.Http, institution), async request =>
        {
            if (!Names.IsValid(account))
            {
                return request.Refuse(ProtocolErrorCode.UnknownAccount, $"institution '{institution}' has no account named '{Truncate(account)}'.");
            }

            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            var amountMinor = body.Integer("amountMinor", 1, Money.MaxAmountMinor);
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            return await request.RunOnceAsync(async ticket =>
            {
                var reply = await Account(api, institution, account).Deposit(OperationId(ticket), amountMinor).ConfigureAwait(false);
                return Answers.From(http, reply, AccountResponse.From);
            }).ConfigureAwait(false);
        });

    private static Task<IResult> CreateStore(HttpContext http, string institution, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Operator(request.Http, institution), async request =>
        {
            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            var store = body.Name("store");
            var displayName = body.Text("displayName", MaxStoreNameLength);
            var account = body.Name("account");
            var tokenHash = body.Hash("storeTokenSha256");
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            return await request.RunOnceAsync(async _ =>
            {
                var reply = await api.Grains.GetGrain<IStoreGrain>(store).Create(displayName, institution, account, tokenHash).ConfigureAwait(false);
                return Answers.From(http, reply, StoreResponse.From);
            }).ConfigureAwait(false);
        });

    /// <summary>The account operation id for an API request: fixed by its idempotency record, the same for every retry.</summary>
    internal static string OperationId(IdempotencyTicket ticket) => "api-" + ticket.OperationId;

    private static IAccountGrain Account(ApiPipeline api, string institution, string account) =>
        api.Grains.GetGrain<IAccountGrain>(GrainKeys.Account(institution, account));

    private static async Task<InstitutionProfile?> Profile(ApiPipeline api, string institution) =>
        Names.IsValid(institution) ? await api.Grains.GetGrain<IInstitutionGrain>(institution).GetProfile().ConfigureAwait(false) : null;

    private static ApiAnswer UnknownInstitution(HttpContext http, string institution) =>
        Problems.Answer(http, ProtocolErrorCode.UnknownInstitution, $"there is no institution named '{Truncate(institution)}'.");

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "...";
}
