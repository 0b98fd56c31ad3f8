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

/// <summary>Stores and their checkouts: the store opens a checkout; the leader proposes the agreement and submits the
/// bundle (S2); each payer answers its challenge (S5).</summary>
internal static class StoreEndpoints
{
    /// <summary>The longest a checkout may stay open, in seconds (24 hours).</summary>
    public const long MaxCheckoutSeconds = 24 * 60 * 60;

    public static RouteGroupBuilder MapStoreEndpoints(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/stores").WithTags("Stores and checkouts");

        group.MapGet("/{store}", GetStore)
            .WithName("GetStore")
            .WithSummary("A store's public profile, with the key that signs its challenges.")
            .Produces<StoreResponse>()
            .Documented(Access.Public, isPost: false, ProtocolErrorCode.UnknownStore);

        group.MapPost("/{store}/checkouts", OpenCheckout)
            .WithName("OpenCheckout")
            .WithSummary("Open a checkout (store).")
            .WithDescription("The service makes the checkout id: 128 bits (22 characters of base64url) of an HMAC-SHA-256 keyed by the store's bearer token over the store and the Idempotency-Key, so every attempt of the request names the same checkout and nobody without the store's token can compute it; it is the capability a payment link or QR code carries. The checkout keeps the request's fingerprint: a retry gets the checkout as it was opened (Idempotent-Replayed: true), the same key with another body is idempotency_key_reused, and a refused request leaves no trace. The checkout expires expiresInSeconds after the first attempt of this request.")
            .Accepts<OpenCheckoutRequest>(ApiAnswer.JsonMediaType)
            .Produces<CheckoutResponse>()
            .Documented(Access.Store, isPost: true, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.InvalidCurrency, ProtocolErrorCode.NonPositiveAmount, ProtocolErrorCode.AmountOutOfRange, ProtocolErrorCode.InvalidBase64Url);

        group.MapGet("/{store}/checkouts/{checkoutId}", GetCheckout)
            .WithName("GetCheckout")
            .WithSummary("A checkout: stage, steps, agreement, abort reason, receipt (the store, or any registered wallet).")
            .WithDescription("A wallet may read any checkout whose id it knows: the checkout id, which only the store can compute, is the capability.")
            .Produces<CheckoutResponse>()
            .Documented(Access.StoreOrWallet, isPost: false, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout);

        group.MapPost("/{store}/checkouts/{checkoutId}/agreement", ProposeAgreement)
            .WithName("ProposeAgreement")
            .WithSummary("Propose the agreement: participants and shares (the leader; the signer is the leader).")
            .WithDescription("The checkout fixes the store, order, total, payee and expiry; the leader (the signing wallet) names every payer with its key, bank and share. The answer carries the agreement, which every payer then accepts by signing an acceptance of its id.")
            .Accepts<ProposeAgreementRequest>(ApiAnswer.JsonMediaType)
            .Produces<CheckoutResponse>()
            .Documented(Access.Wallet, isPost: true, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout, ProtocolErrorCode.InvalidKey, ProtocolErrorCode.SharesDoNotSumToTotal, ProtocolErrorCode.DuplicateParticipant, ProtocolErrorCode.NotTheLeader, ProtocolErrorCode.AlreadyExists, ProtocolErrorCode.CheckoutClosed, ProtocolErrorCode.CheckoutExpired, ProtocolErrorCode.CheckoutSessionLost, ProtocolErrorCode.NonPositiveAmount, ProtocolErrorCode.UnknownWallet, ProtocolErrorCode.InvalidField);

        group.MapPost("/{store}/checkouts/{checkoutId}/bundle", SubmitBundle)
            .WithName("SubmitBundle")
            .WithSummary("S2: the leader's bundle of every payer's contribution (the leader).")
            .WithDescription("The store checks S3 (the agreement infos match), each request and note, then sends every payer a fresh challenge (S4). A refused bundle holds nothing and the checkout stays open for a corrected one. The body may be up to Api:MaxBundleBodyBytes (1 MiB by default).")
            .Accepts<BundleRequest>(ApiAnswer.JsonMediaType)
            .Produces<CheckoutResponse>()
            .Documented(Access.Wallet, isPost: true,
                ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout, ProtocolErrorCode.UnknownAgreement, ProtocolErrorCode.NotTheLeader,
                ProtocolErrorCode.BundleIncomplete, ProtocolErrorCode.AgreementMismatch, ProtocolErrorCode.AcceptanceMissing, ProtocolErrorCode.DuplicateAcceptance,
                ProtocolErrorCode.NotAParticipant, ProtocolErrorCode.DuplicateParticipant, ProtocolErrorCode.BadSignature, ProtocolErrorCode.MissingSignature,
                ProtocolErrorCode.MalformedSignature, ProtocolErrorCode.WrongPurpose, ProtocolErrorCode.UnknownKey, ProtocolErrorCode.AmountNotShare,
                ProtocolErrorCode.PayeeMismatch, ProtocolErrorCode.InstitutionMismatch, ProtocolErrorCode.NotesMismatch, ProtocolErrorCode.NoteWrongCurrency,
                ProtocolErrorCode.NoteWrongIssuer, ProtocolErrorCode.NoteWrongHolder, ProtocolErrorCode.NoteExpired, ProtocolErrorCode.NoteNotYetValid,
                ProtocolErrorCode.DuplicateNote, ProtocolErrorCode.InsufficientNotes, ProtocolErrorCode.AgreementExpired, ProtocolErrorCode.CheckoutMismatch,
                ProtocolErrorCode.CheckoutClosed, ProtocolErrorCode.CheckoutExpired, ProtocolErrorCode.CheckoutSessionLost, ProtocolErrorCode.AlreadyExists, ProtocolErrorCode.UnsupportedVersion,
                ProtocolErrorCode.InvalidTimestamp, ProtocolErrorCode.InvalidBase64Url, ProtocolErrorCode.InvalidKey, ProtocolErrorCode.WalletKeyMismatch);

        group.MapPost("/{store}/checkouts/{checkoutId}/responses", SubmitResponse)
            .WithName("SubmitResponse")
            .WithSummary("S5: a payer's signed response to its challenge (the responding wallet signs; it is response.wallet).")
            .WithDescription("When every payer's response is valid (S6), the checkout hands the package to the banks (S7); follow the checkout's stage until settled or aborted.")
            .Accepts<SubmitResponseRequest>(ApiAnswer.JsonMediaType)
            .Produces<CheckoutResponse>()
            .Documented(Access.Wallet, isPost: true,
                ProtocolErrorCode.Forbidden, ProtocolErrorCode.UnknownStore, ProtocolErrorCode.UnknownCheckout, ProtocolErrorCode.ChallengeNotFound,
                ProtocolErrorCode.ChallengeMismatch, ProtocolErrorCode.ChallengeExpired, ProtocolErrorCode.NotesMismatch, ProtocolErrorCode.NotAParticipant,
                ProtocolErrorCode.BadSignature, ProtocolErrorCode.MissingSignature, ProtocolErrorCode.MalformedSignature, ProtocolErrorCode.WrongPurpose,
                ProtocolErrorCode.CheckoutClosed, ProtocolErrorCode.CheckoutExpired, ProtocolErrorCode.CheckoutSessionLost, ProtocolErrorCode.InvalidBase64Url);

        return v1;
    }

    private static Task<IResult> GetStore(HttpContext http, string store, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, _ => Answers.Anyone(), async _ =>
        {
            var profile = Names.IsValid(store) ? await api.Grains.GetGrain<IStoreGrain>(store).GetProfile().ConfigureAwait(false) : null;
            return profile is null ? UnknownStore(http, store) : ApiAnswer.Ok(StoreResponse.From(profile));
        });

    private static Task<IResult> OpenCheckout(HttpContext http, string store, [FromServices] ApiPipeline api) =>
        api.PostAsync(http, (auth, request) => auth.Store(request.Http, store), async request =>
        {
            if (!request.Reader().TryGetValue(out var body, out var malformed))
            {
                return request.Refuse(malformed);
            }

            var orderRef = body.Text("orderRef", Agreement.MaxOrderRefLength);
            var currency = body.Currency("currency");
            var totalMinor = body.Integer("totalMinor", 1, Money.MaxAmountMinor);
            var expiresInSeconds = body.Integer("expiresInSeconds", 1, MaxCheckoutSeconds);
            var itemsHash = body.Hash("itemsHash");
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            // The checkout's id is derived from the store's token and the Idempotency-Key, so every attempt of this request
            // reaches the same checkout, whose open write is the request's idempotency record (ADR 0022).
            var token = BearerTokens.Read(http.Request)!;
            var checkoutId = CheckoutIds.Derive(token, store, request.IdempotencyKey);
            return await request.RunRecordedByGrainAsync(async requestHash =>
            {
                var opening = new CheckoutOpening(requestHash, orderRef, currency, totalMinor, expiresInSeconds, itemsHash);
                var reply = await Checkout(api, store, checkoutId).OpenForRequest(opening).ConfigureAwait(false);
                return (Answers.From(http, reply, opened => CheckoutResponse.From(opened.AsOpened)), reply.IsOk && reply.Value!.Replayed);
            }).ConfigureAwait(false);
        });

    private static Task<IResult> GetCheckout(HttpContext http, string store, string checkoutId, [FromServices] ApiPipeline api) =>
        api.GetAsync(http, auth => auth.StoreOrWallet(http, store), async _ =>
        {
            var view = Answers.IsCheckoutId(checkoutId) ? await Checkout(api, store, checkoutId).Get().ConfigureAwait(false) : null;
            return view is null ? UnknownCheckout(http, store, checkoutId) : ApiAnswer.Ok(CheckoutResponse.From(view));
        });

    private static Task<IResult> ProposeAgreement(HttpContext http, string store, string checkoutId, [FromServices] ApiPipeline api) =>
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

            var items = body.Array("participants", Agreement.MinParticipants, Agreement.MaxParticipants);
            var participants = new List<ProposedParticipant>(items.Count);
            for (var i = 0; i < items.Count && body.Error is null; i++)
            {
                var item = body.ObjectAt(items[i], $"participants[{i}]");
                if (item is null)
                {
                    break;
                }

                var keyText = item.RawObject("key");
                var institution = item.Name("institution");
                var shareMinor = item.Integer("shareMinor", 1, Money.MaxAmountMinor);
                if (item.Error is not null)
                {
                    body.Fail(item.Error);
                    break;
                }

                if (!PublicJwk.Parse(keyText).TryGetValue(out var key, out var badKey))
                {
                    body.Fail(badKey.Code, $"participants[{i}].key: {badKey.Detail}");
                    break;
                }

                participants.Add(new ProposedParticipant(key.ToJson().ToJsonString(), institution, shareMinor));
            }

            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            return await request.RunSessionStepAsync(async () =>
            {
                var reply = await Checkout(api, store, checkoutId).ProposeAgreement(request.Caller.Name, participants).ConfigureAwait(false);
                return Answers.From(http, reply, CheckoutResponse.From);
            }).ConfigureAwait(false);
        });

    private static Task<IResult> SubmitBundle(HttpContext http, string store, string checkoutId, [FromServices] ApiPipeline api) =>
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

            var items = body.Array("contributions", 1, Agreement.MaxParticipants);
            var contributions = new List<Contribution>(items.Count);
            for (var i = 0; i < items.Count && body.Error is null; i++)
            {
                var item = body.ObjectAt(items[i], $"contributions[{i}]");
                if (item is null)
                {
                    break;
                }

                var wallet = item.Hash("wallet");
                var agreementInfo = item.RawObject("agreementInfo");
                var requestInfo = item.RawObject("requestInfo");
                var notes = item.RawObjects("notes", 1, RequestInfo.MaxNotes);
                if (item.Error is not null)
                {
                    body.Fail(item.Error);
                    break;
                }

                contributions.Add(new Contribution(wallet, agreementInfo, requestInfo, notes));
            }

            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            return await request.RunSessionStepAsync(async () =>
            {
                var reply = await Checkout(api, store, checkoutId).SubmitBundle(request.Caller.Name, contributions).ConfigureAwait(false);
                return Answers.From(http, reply, CheckoutResponse.From);
            }).ConfigureAwait(false);
        }, bundle: true);

    private static Task<IResult> SubmitResponse(HttpContext http, string store, string checkoutId, [FromServices] ApiPipeline api) =>
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

            var response = body.RawObject("response");
            if (body.Finish() is { } invalid)
            {
                return request.Refuse(invalid);
            }

            var responder = BodyReader.PeekString(response, "wallet");
            if (responder is null)
            {
                return request.Refuse(ProtocolErrorCode.MissingField, "response.wallet is required: the wallet that answers its challenge.");
            }

            if (!string.Equals(responder, request.Caller.Name, StringComparison.Ordinal))
            {
                return request.Refuse(ProtocolErrorCode.Forbidden, $"wallet {request.Caller.Name} may not answer for wallet {Truncate(responder)}: the responding wallet signs its own request.");
            }

            return await request.RunSessionStepAsync(async () =>
            {
                var reply = await Checkout(api, store, checkoutId).SubmitResponse(request.Caller.Name, response).ConfigureAwait(false);
                return Answers.From(http, reply, CheckoutResponse.From);
            }).ConfigureAwait(false);
        });

    private static ApiAnswer? CheckPath(PostRequest request, string store, string checkoutId) =>
        !Names.IsValid(store) ? UnknownStore(request.Http, store)
        : !Answers.IsCheckoutId(checkoutId) ? UnknownCheckout(request.Http, store, checkoutId)
        : null;

    private static ICheckoutGrain Checkout(ApiPipeline api, string store, string checkoutId) =>
        api.Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store, checkoutId));

    private static ApiAnswer UnknownStore(HttpContext http, string store) =>
        Problems.Answer(http, ProtocolErrorCode.UnknownStore, $"there is no store named '{Truncate(store)}'.");

    private static ApiAnswer UnknownCheckout(HttpContext http, string store, string checkoutId) =>
        Problems.Answer(http, ProtocolErrorCode.UnknownCheckout, $"store '{Truncate(store)}' has no checkout '{Truncate(checkoutId)}'.");

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "...";
}
