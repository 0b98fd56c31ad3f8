using Microsoft.AspNetCore.Mvc;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Api.Models;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Api.Endpoints;

/// <summary>
/// Before and around the agreement: wallets join an open checkout (from its QR code or link) so the leader can name them
/// in the agreement, and a payer whose own agreement info differs from the checkout's ends it (S3, see
/// docs/adr/0011-web-pages-and-live-updates.md).
/// </summary>
internal static class LobbyEndpoints
{
    public static RouteGroupBuilder MapLobbyEndpoints(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/stores").WithTags("Stores and checkouts");

        group.MapPost("/{store}/checkouts/{checkoutId}/joins", Join)
            .WithName("JoinCheckout")
            .WithSummary("Join an open checkout (any registered wallet; the body is {}).")
            .WithDescription("Records the signing wallet's id, public key and bank (from its registration) in the checkout, so the leader can name it in the agreement; the checkout's events announce it (`joined`). Only while the checkout is open (no agreement yet); joining again is answered alike.")
            .Accepts<JoinCheckoutRequest>(ApiAnswer.JsonMediaType)
            .Produces<CheckoutResponse>()
            .Documented(Access.Wallet, isPost: true, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout, ProtocolErrorCode.CheckoutClosed, ProtocolErrorCode.CheckoutExpired, ProtocolErrorCode.CheckoutSessionLost, ProtocolErrorCode.WalletKeyMismatch, ProtocolErrorCode.InvalidKey);

        group.MapPost("/{store}/checkouts/{checkoutId}/declines", Decline)
            .WithName("DeclineCheckout")
            .WithSummary("S3 on one payer's word: a participant whose signed agreement info names another agreement ends the checkout (aborted, agreement_mismatch).")
            .WithDescription("For a payer whose app accepted another agreement than the checkout's (its contribution is refused at the leader's mailbox with agreement_mismatch): it sends that agreement info, signed acceptance included, and the store refuses the payment before S7, when nothing is held yet. The signer must be a participant of the checkout's agreement and the acceptance must verify with its key there. A matching agreement info is invalid_field.")
            .Accepts<DeclineRequest>(ApiAnswer.JsonMediaType)
            .Produces<CheckoutResponse>()
            .Documented(Access.Wallet, isPost: true,
                ProtocolErrorCode.Forbidden, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout, ProtocolErrorCode.UnknownAgreement, ProtocolErrorCode.NotAParticipant,
                ProtocolErrorCode.BadSignature, ProtocolErrorCode.MissingSignature, ProtocolErrorCode.MalformedSignature, ProtocolErrorCode.WrongPurpose, ProtocolErrorCode.CheckoutClosed,
                ProtocolErrorCode.CheckoutExpired, ProtocolErrorCode.CheckoutSessionLost, ProtocolErrorCode.InvalidBase64Url, ProtocolErrorCode.InvalidTimestamp, ProtocolErrorCode.UnsupportedVersion, ProtocolErrorCode.InvalidKey,
                ProtocolErrorCode.WalletKeyMismatch, ProtocolErrorCode.SharesDoNotSumToTotal, ProtocolErrorCode.DuplicateParticipant, ProtocolErrorCode.LeaderNotParticipant, ProtocolErrorCode.InvalidCurrency);

        return v1;
    }

    private static Task<IResult> Join(HttpContext http, string store, string checkoutId, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Wallet(request.Http, request.Body), async request =>
        {
            if (CheckPath(request, store, checkoutId) is { } notFound)
            {
                return notFound;
            }

            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            var profile = request.Caller.Wallet!;
            return await request.RunSessionStepAsync(async () =>
            {
                var reply = await Checkout(api, store, checkoutId).Join(profile.WalletId, profile.PublicJwkJson, profile.Institution).ConfigureAwait(false);
                return Answers.From(http, reply, CheckoutResponse.From);
            }).ConfigureAwait(false);
        });

    private static Task<IResult> Decline(HttpContext http, string store, string checkoutId, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Wallet(request.Http, request.Body), async request =>
        {
            if (CheckPath(request, store, checkoutId) is { } notFound)
            {
                return notFound;
            }

            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            var agreementInfo = body.RawObject("agreementInfo");
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            return await request.RunSessionStepAsync(async () =>
            {
                var reply = await Checkout(api, store, checkoutId).Decline(request.Caller.Name, agreementInfo).ConfigureAwait(false);
                return Answers.From(http, reply, CheckoutResponse.From);
            }).ConfigureAwait(false);
        });

    private static ApiAnswer? CheckPath(PostRequest request, string store, string checkoutId) =>
        !Names.IsValid(store) ? Problems.Answer(request.Http, ProtocolErrorCode.UnknownStore, $"there is no store named '{Truncate(store)}'.")
        : !Answers.IsCheckoutId(checkoutId) ? Problems.Answer(request.Http, ProtocolErrorCode.UnknownCheckout, $"store '{Truncate(store)}' has no checkout '{Truncate(checkoutId)}'.")
        : null;

    private static ICheckoutGrain Checkout(ApiPipeline api, string store, string checkoutId) =>
        api.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store, checkoutId));

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "...";
}
