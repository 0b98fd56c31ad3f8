using System.Text.Json;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Api.Models;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Api.Endpoints;

/// <summary>
/// One event of a wallet's feed (docs/api.md, "Live updates"): <c>seq</c> is the event id (SSE <c>id</c>), <c>type</c>
/// one of <c>agreement-led</c>, <c>contribution</c>, <c>challenge</c>, <c>notes</c>, <c>checkout-ended</c>, or
/// <c>reset</c> (events were missed that are no longer kept: read the wallet again, then go on).
/// </summary>
public sealed record WalletEventResponse(
    long Seq,
    string Type,
    string At,
    string? AgreementId,
    string? Store,
    string? CheckoutId,
    string? Wallet,
    JsonElement? Challenge,
    int Count)
{
    public static WalletEventResponse From(WalletEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Seq, e.Type, Timestamps.Format(e.At), e.AgreementId, e.Store, e.CheckoutId, e.Wallet, e.ChallengeJson is null ? null : ApiJson.Element(e.ChallengeJson), e.Count);
    }
}

/// <summary>A wallet that joined a checkout: its id, public key and bank, which the leader names in the agreement.</summary>
public sealed record JoinedResponse(string Wallet, JsonElement Key, string Institution, string At);

/// <summary>
/// One event of a checkout's feed: <c>opened</c>, <c>joined</c> (with <c>joined</c>), <c>agreement</c> (with the
/// agreement), <c>step</c> (S2-S10, with <c>step</c>), <c>outcome</c> (with the whole checkout: stage <c>settled</c> and
/// its receipt, or <c>aborted</c> and its abort reason), or <c>reset</c> (the id given is not this checkout's).
/// </summary>
public sealed record CheckoutEventResponse(
    long Seq,
    string Type,
    string At,
    CheckoutStepResponse? Step,
    JoinedResponse? Joined,
    string? AgreementId,
    JsonElement? Agreement,
    CheckoutResponse? Checkout)
{
    public static CheckoutEventResponse From(CheckoutEvent e, CheckoutView view)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(view);
        var isAgreement = e.Type == CheckoutEventTypes.Agreement;
        return new(
            e.Seq,
            e.Type,
            Timestamps.Format(e.At),
            e.Step is null ? null : new CheckoutStepResponse(e.Step.Step, Timestamps.Format(e.Step.At), e.Step.Detail),
            e.Joined is null ? null : new JoinedResponse(e.Joined.Wallet, ApiJson.Element(e.Joined.PublicJwkJson), e.Joined.Institution, Timestamps.Format(e.Joined.At)),
            isAgreement ? view.AgreementId : null,
            isAgreement && view.AgreementJson is not null ? ApiJson.Element(view.AgreementJson) : null,
            e.Type == CheckoutEventTypes.Outcome ? CheckoutResponse.From(view) : null);
    }
}

/// <summary>A long poll's answer: the events after the id asked for (empty when none came in time), the id to ask
/// after next time, and whether events were missed (<c>reset</c>: read the resource again).</summary>
public sealed record WalletEventsResponse(IReadOnlyList<WalletEventResponse> Events, long LastEventId, bool Reset);

/// <summary>A long poll's answer for a checkout (see <see cref="WalletEventsResponse"/>).</summary>
public sealed record CheckoutEventsResponse(IReadOnlyList<CheckoutEventResponse> Events, long LastEventId, bool Reset);

/// <summary>A decline: the payer's own agreement info (agreement and signed acceptance) that differs from the checkout's.</summary>
public sealed record DeclineRequest(JsonElement AgreementInfo);

/// <summary>A join: an empty object; the wallet's key and bank come from its registration.</summary>
public sealed record JoinCheckoutRequest;
