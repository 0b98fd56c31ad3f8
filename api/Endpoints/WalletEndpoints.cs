using Microsoft.AspNetCore.Mvc;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Api.Models;
using OrleansSettlement.Api.Security;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Api.Endpoints;

/// <summary>Wallets: registration, notes and withdrawals, the leader's mailbox (S1) and the challenge mailbox (S4). Every
/// request is signed by a wallet key (RFC 9421); a wallet reads and acts only for itself.</summary>
internal static class WalletEndpoints
{
    /// <summary>The most notes one withdrawal issues.</summary>
    private const int MaxNotesPerWithdrawal = 64;

    public static RouteGroupBuilder MapWalletEndpoints(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/wallets").WithTags("Wallets");

        group.MapPost("", Register)
            .WithName("RegisterWallet")
            .WithSummary("Register a wallet key for an account its bank opened for this wallet id.")
            .WithDescription("Signed by the key being registered: the signature's keyid must be the RFC 7638 thumbprint of body.key, which is the wallet id. The account must be owned by that wallet id.")
            .Accepts<RegisterWalletRequest>(ApiAnswer.JsonMediaType)
            .Produces<WalletResponse>()
            .Documented(Access.NewWallet, isPost: true, ProtocolErrorCode.InvalidKey, ProtocolErrorCode.UnknownInstitution, ProtocolErrorCode.UnknownAccount, ProtocolErrorCode.Forbidden, ProtocolErrorCode.AlreadyExists, ProtocolErrorCode.WalletKeyMismatch);

        group.MapGet("/{wallet}", GetWallet)
            .WithName("GetWallet")
            .WithSummary("The wallet's own profile.")
            .Produces<WalletResponse>()
            .Documented(Access.WalletSelf, isPost: false);

        group.MapGet("/{wallet}/notes", GetNotes)
            .WithName("GetWalletNotes")
            .WithSummary("The wallet's notes with their state at their issuer (spent ones are listed once, then dropped).")
            .Produces<WalletNotesResponse>()
            .Documented(Access.WalletSelf, isPost: false);

        group.MapPost("/{wallet}/withdrawals", Withdraw)
            .WithName("Withdraw")
            .WithSummary("Withdraw notes of the given denominations from the wallet's registered account.")
            .WithDescription("The notes are held by the wallet's key. The Idempotency-Key makes a retry safe: the account is debited once and the same notes come back.")
            .Accepts<WithdrawRequest>(ApiAnswer.JsonMediaType)
            .Produces<WithdrawalResponse>()
            .Documented(Access.WalletSelf, isPost: true, ProtocolErrorCode.UnknownAccount, ProtocolErrorCode.InsufficientFunds, ProtocolErrorCode.NonPositiveAmount, ProtocolErrorCode.AmountOverflow);

        group.MapPost("/{wallet}/contributions", Contribute)
            .WithName("SendContribution")
            .WithSummary("S1: send a contribution to the leader's mailbox (signed by the contributing wallet).")
            .WithDescription("The wallet in the route is the leader (whose mailbox this is); the signer is the contributor: its acceptance (agreementInfo.acceptance.wallet) and its request (requestInfo.wallet) must be its own.")
            .Accepts<ContributionRequest>(ApiAnswer.JsonMediaType)
            .Produces<ContributionReceivedResponse>()
            .Documented(Access.Wallet, isPost: true,
                ProtocolErrorCode.Forbidden, ProtocolErrorCode.UnknownWallet, ProtocolErrorCode.UnknownAgreement, ProtocolErrorCode.NotTheLeader, ProtocolErrorCode.NotAParticipant,
                ProtocolErrorCode.BadSignature, ProtocolErrorCode.MissingSignature, ProtocolErrorCode.MalformedSignature, ProtocolErrorCode.WrongPurpose,
                ProtocolErrorCode.AgreementMismatch, ProtocolErrorCode.AgreementExpired, ProtocolErrorCode.AmountNotShare, ProtocolErrorCode.PayeeMismatch,
                ProtocolErrorCode.InstitutionMismatch, ProtocolErrorCode.NotesMismatch, ProtocolErrorCode.NoteWrongHolder, ProtocolErrorCode.NoteWrongIssuer,
                ProtocolErrorCode.NoteWrongCurrency, ProtocolErrorCode.DuplicateNote, ProtocolErrorCode.InsufficientNotes, ProtocolErrorCode.InvalidBase64Url,
                ProtocolErrorCode.InvalidTimestamp, ProtocolErrorCode.UnsupportedVersion, ProtocolErrorCode.InvalidKey, ProtocolErrorCode.WalletKeyMismatch);

        group.MapGet("/{wallet}/contributions", GetContributions)
            .WithName("GetContributions")
            .WithSummary("S2 input: the contributions in the leader's mailbox for one agreement (the leader itself).")
            .Produces<ContributionsResponse>()
            .Documented(Access.WalletSelf, isPost: false, ProtocolErrorCode.MissingField, ProtocolErrorCode.InvalidField, ProtocolErrorCode.InvalidBase64Url);

        group.MapGet("/{wallet}/challenges", GetChallenges)
            .WithName("GetChallenges")
            .WithSummary("S4: the challenges waiting for this wallet, with the checkout to answer at.")
            .Produces<ChallengesResponse>()
            .Documented(Access.WalletSelf, isPost: false);

        group.MapGet("/{wallet}/checkouts", GetCheckouts)
            .WithName("GetRecentCheckouts")
            .WithSummary("The checkouts this wallet took part in, newest first (bounded).")
            .Produces<RecentCheckoutsResponse>()
            .Documented(Access.WalletSelf, isPost: false);

        return v1;
    }

    private static Task<IResult> Register(HttpContext http, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, RegistrationKey, async request =>
        {
            var body = request.Reader().Value;
            var key = PublicJwk.Parse(body.RawObject("key")).Value;
            var institution = body.Name("institution");
            var account = body.Name("account");
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            return await request.RunOnceAsync(async _ =>
            {
                var reply = await api.Grains.GetGrain<IWalletGrain>(key.Thumbprint).Register(key.ToJson().ToJsonString(), institution, account).ConfigureAwait(false);
                return Answers.From(http, reply, WalletResponse.From);
            }).ConfigureAwait(false);
        });

    /// <summary>Registration is signed by the key in the body: read it (strictly) before the signature is checked.</summary>
    private static Task<Outcome<Caller>> RegistrationKey(Authenticator auth, PostRequest request)
    {
        if (!request.Reader().TryGetValue(out var body, out var malformed))
        {
            return Task.FromResult(Outcome<Caller>.Fail(malformed));
        }

        var keyText = body.RawObject("key");
        if (body.Error is { } missing)
        {
            return Task.FromResult(Outcome<Caller>.Fail(missing));
        }

        return PublicJwk.Parse(keyText).TryGetValue(out var key, out var badKey)
            ? Task.FromResult(auth.NewWallet(request.Http, request.Body, key))
            : Task.FromResult(Outcome<Caller>.Fail(badKey.Code, "key: " + badKey.Detail));
    }

    private static Task<IResult> GetWallet(HttpContext http, string wallet, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.WalletSelf(http, ReadOnlyMemory<byte>.Empty, wallet), caller =>
            Task.FromResult(ApiAnswer.Ok(WalletResponse.From(caller.Wallet!))));

    private static Task<IResult> GetNotes(HttpContext http, string wallet, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.WalletSelf(http, ReadOnlyMemory<byte>.Empty, wallet), async caller =>
            ApiAnswer.Ok(WalletNotesResponse.From(await Wallet(api, caller).ListNotes().ConfigureAwait(false))));

    private static Task<IResult> Withdraw(HttpContext http, string wallet, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.WalletSelf(request.Http, request.Body, wallet), async request =>
        {
            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            var denominations = body.Integers("denominationsMinor", 1, MaxNotesPerWithdrawal, 1, Money.MaxAmountMinor);
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            var profile = request.Caller.Wallet!;
            return await request.RunOnceAsync(async ticket =>
            {
                var account = api.Grains.GetGrain<IAccountGrain>(GrainKeys.Account(profile.Institution, profile.Account));
                var reply = await account.Withdraw(InstitutionEndpoints.OperationId(ticket), denominations, profile.PublicJwkJson).ConfigureAwait(false);
                return Answers.From(http, reply, WithdrawalResponse.From);
            }).ConfigureAwait(false);
        });

    private static Task<IResult> Contribute(HttpContext http, [FromRoute(Name = "wallet")] string leader, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Wallet(request.Http, request.Body), async request =>
        {
            if (!Answers.IsWalletId(leader))
            {
                return request.Refuse(ProtocolErrorCode.UnknownWallet, "the leader in the route is not a wallet id.");
            }

            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            var agreementInfo = body.RawObject("agreementInfo");
            var requestInfo = body.RawObject("requestInfo");
            var notes = body.RawObjects("notes", 1, RequestInfo.MaxNotes);
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            var sender = request.Caller.Name;
            var requestWallet = BodyReader.PeekString(requestInfo, "wallet");
            var acceptanceWallet = BodyReader.PeekString(agreementInfo, "acceptance", "wallet");
            if (!string.Equals(requestWallet, sender, StringComparison.Ordinal) || !string.Equals(acceptanceWallet, sender, StringComparison.Ordinal))
            {
                return request.Refuse(ProtocolErrorCode.Forbidden, $"wallet {sender} may send only its own contribution: requestInfo.wallet and agreementInfo.acceptance.wallet must be {sender}.");
            }

            var agreementId = BodyReader.PeekString(requestInfo, "agreementId") ?? "";
            return await request.RunSessionStepAsync(async () =>
            {
                var reply = await api.Grains.GetGrain<IWalletGrain>(leader).ReceiveContribution(new Contribution(sender, agreementInfo, requestInfo, notes)).ConfigureAwait(false);
                return Answers.From(http, reply, held => new ContributionReceivedResponse(agreementId, sender, held));
            }).ConfigureAwait(false);
        });

    private static Task<IResult> GetContributions(HttpContext http, string wallet, [FromQuery] string? agreementId, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.WalletSelf(http, ReadOnlyMemory<byte>.Empty, wallet), async caller =>
        {
            if (string.IsNullOrEmpty(agreementId))
            {
                return Problems.Answer(http, ProtocolErrorCode.MissingField, "the query parameter agreementId is required.");
            }

            if (BinaryIds.Check(agreementId, "agreementId", BinaryIds.HashBytes, BinaryIds.HashBytes) is { IsOk: false } bad)
            {
                return Problems.Answer(http, bad.Error);
            }

            var contributions = await Wallet(api, caller).GetContributions(agreementId).ConfigureAwait(false);
            return ApiAnswer.Ok(new ContributionsResponse(agreementId, [.. contributions.Select(ContributionResponse.From)]));
        });

    private static Task<IResult> GetChallenges(HttpContext http, string wallet, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.WalletSelf(http, ReadOnlyMemory<byte>.Empty, wallet), async caller =>
            ApiAnswer.Ok(ChallengesResponse.From(await Wallet(api, caller).GetChallenges().ConfigureAwait(false))));

    private static Task<IResult> GetCheckouts(HttpContext http, string wallet, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.WalletSelf(http, ReadOnlyMemory<byte>.Empty, wallet), async caller =>
            ApiAnswer.Ok(RecentCheckoutsResponse.From(await Wallet(api, caller).GetRecentCheckouts().ConfigureAwait(false))));

    private static IWalletGrain Wallet(ApiPipeline api, Caller caller) => api.Grains.GetGrain<IWalletGrain>(caller.Name);
}
