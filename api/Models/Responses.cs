using System.Text.Json;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Api.Models;

/// <summary>A published public key: its RFC 7638 thumbprint, the JWK and its status (<c>active</c>, <c>retired</c>, <c>revoked</c>).</summary>
public sealed record PublishedKeyResponse(string Kid, JsonElement Jwk, string Status)
{
    public static PublishedKeyResponse From(PublishedKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.Kid, ApiJson.Element(key.PublicJwkJson), Wire.Of(key.Status));
    }
}

/// <summary>An institution's public profile: no secret is ever part of it.</summary>
public sealed record InstitutionResponse(
    string Institution,
    string DisplayName,
    IReadOnlyList<PublishedKeyResponse> NoteKeys,
    PublishedKeyResponse MessagingKey,
    string CreatedAt)
{
    public static InstitutionResponse From(InstitutionProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new(
            profile.InstitutionId,
            profile.DisplayName,
            [.. profile.NoteKeys.Select(PublishedKeyResponse.From)],
            PublishedKeyResponse.From(profile.MessagingKey),
            Timestamps.Format(profile.CreatedAt));
    }
}

/// <summary>A JWK Set (RFC 7517): the institution's note-issuing public keys that still verify, each with <c>kid</c>
/// (its thumbprint), <c>use</c> <c>sig</c> and <c>alg</c> <c>ES256</c>.</summary>
public sealed record JwksResponse(IReadOnlyList<JsonElement> Keys)
{
    public static JwksResponse From(InstitutionProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var keys = new List<JsonElement>();
        foreach (var key in profile.NoteKeys.Where(k => k.Status != KeyStatus.Revoked))
        {
            if (!PublicJwk.Parse(key.PublicJwkJson).TryGetValue(out var jwk, out _))
            {
                continue;
            }

            var json = jwk.ToJson();
            json["kid"] = jwk.Thumbprint;
            json["use"] = "sig";
            json["alg"] = "ES256";
            keys.Add(ApiJson.Element(json.ToJsonString()));
        }

        return new JwksResponse(keys);
    }
}

/// <summary>An account: owner, currency and amounts in minor units.</summary>
public sealed record AccountResponse(
    string Institution,
    string Account,
    string OwnerKind,
    string Owner,
    string Currency,
    long BalanceMinor,
    long DepositedMinor,
    long WithdrawnMinor)
{
    public static AccountResponse From(AccountView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new(view.Institution, view.Account, Wire.Of(view.OwnerKind), view.Owner, view.Currency, view.BalanceMinor, view.DepositedMinor, view.WithdrawnMinor);
    }
}

/// <summary>A store's public profile: where it is paid and the key that signs its challenges.</summary>
public sealed record StoreResponse(
    string Store,
    string DisplayName,
    string Institution,
    string Account,
    PublishedKeyResponse ChallengeKey,
    string CreatedAt)
{
    public static StoreResponse From(StoreProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new(profile.StoreId, profile.DisplayName, profile.Institution, profile.Account, PublishedKeyResponse.From(profile.ChallengeKey), Timestamps.Format(profile.CreatedAt));
    }
}

/// <summary>A refusal's code and sentence (a checkout's abort reason).</summary>
public sealed record RefusalResponse(string Code, string Detail);

/// <summary>One step of a checkout's story.</summary>
public sealed record CheckoutStepResponse(string Step, string At, string Detail);

/// <summary>The payee of a receipt.</summary>
public sealed record PayeeResponse(string Institution, string Account);

/// <summary>A payer's line on a receipt: what it paid, the change and the change notes (signed notes, as JSON objects).</summary>
public sealed record ReceiptLineResponse(string Wallet, string Institution, long PaidMinor, long ChangeMinor, IReadOnlyList<JsonElement> ChangeNotes);

public sealed record ReceiptResponse(
    string AgreementId,
    string Store,
    string OrderRef,
    string Currency,
    long TotalMinor,
    PayeeResponse Payee,
    IReadOnlyList<ReceiptLineResponse> Payers,
    string SettledAt);

/// <summary>
/// A checkout: what the store asked for, the stage it reached (<c>open</c>, <c>agreement_proposed</c>, <c>challenging</c>,
/// <c>settling</c>, <c>settled</c>, <c>aborted</c>), the agreement (a JSON object; its id is the SHA-256 of its canonical
/// form), the steps so far, the abort reason and the receipt.
/// </summary>
public sealed record CheckoutResponse(
    string Store,
    string CheckoutId,
    string OrderRef,
    string Currency,
    long TotalMinor,
    string ExpiresAt,
    string ItemsHash,
    string Stage,
    string? AgreementId,
    JsonElement? Agreement,
    IReadOnlyList<CheckoutStepResponse> Steps,
    RefusalResponse? AbortReason,
    ReceiptResponse? Receipt)
{
    public static CheckoutResponse From(CheckoutView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        return new(
            view.Store,
            view.CheckoutId,
            view.OrderRef,
            view.Currency,
            view.TotalMinor,
            Timestamps.Format(view.ExpiresAt),
            view.ItemsHash,
            Wire.Of(view.Stage),
            view.AgreementId,
            view.AgreementJson is null ? null : ApiJson.Element(view.AgreementJson),
            [.. view.Steps.Select(s => new CheckoutStepResponse(s.Step, Timestamps.Format(s.At), s.Detail))],
            view.AbortReason is null ? null : new RefusalResponse(view.AbortReason.Code, view.AbortReason.Detail),
            view.Receipt is null ? null : ReceiptOf(view.Receipt));
    }

    private static ReceiptResponse ReceiptOf(Receipt receipt) => new(
        receipt.AgreementId,
        receipt.Store,
        receipt.OrderRef,
        receipt.Currency,
        receipt.TotalMinor,
        new PayeeResponse(receipt.PayeeInstitution, receipt.PayeeAccount),
        [.. receipt.Payers.Select(p => new ReceiptLineResponse(p.Wallet, p.Institution, p.PaidMinor, p.ChangeMinor, [.. p.ChangeNoteJsons.Select(ApiJson.Element)]))],
        Timestamps.Format(receipt.SettledAt));
}

/// <summary>A registered wallet: its id (the thumbprint of its key), its public key, bank and account.</summary>
public sealed record WalletResponse(string Wallet, JsonElement Key, string Institution, string Account, string CreatedAt)
{
    public static WalletResponse From(WalletProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new(profile.WalletId, ApiJson.Element(profile.PublicJwkJson), profile.Institution, profile.Account, Timestamps.Format(profile.CreatedAt));
    }
}

/// <summary>A note of a wallet (the signed note as a JSON object), its state at its issuer (<c>outstanding</c>, <c>held</c>,
/// <c>spent</c>) and the agreement holding it.</summary>
public sealed record WalletNoteResponse(JsonElement Note, string State, string? AgreementId);

public sealed record WalletNotesResponse(IReadOnlyList<WalletNoteResponse> Notes)
{
    public static WalletNotesResponse From(IEnumerable<WalletNote> notes) =>
        new([.. notes.Select(n => new WalletNoteResponse(ApiJson.Element(n.NoteJson), Wire.Of(n.State), n.AgreementId))]);
}

/// <summary>The notes a withdrawal issued (signed notes, as JSON objects) and the account afterwards.</summary>
public sealed record WithdrawalResponse(IReadOnlyList<JsonElement> Notes, AccountResponse Account)
{
    public static WithdrawalResponse From(Withdrawal withdrawal)
    {
        ArgumentNullException.ThrowIfNull(withdrawal);
        return new([.. withdrawal.NoteJsons.Select(ApiJson.Element)], AccountResponse.From(withdrawal.Account));
    }
}

/// <summary>A contribution (S1): the payer's wallet, agreement info, request info and notes, as the JSON objects it signed.</summary>
public sealed record ContributionResponse(string Wallet, JsonElement AgreementInfo, JsonElement RequestInfo, IReadOnlyList<JsonElement> Notes)
{
    public static ContributionResponse From(Contribution contribution)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        return new(
            contribution.Wallet,
            ApiJson.Element(contribution.AgreementInfoJson),
            ApiJson.Element(contribution.RequestJson),
            [.. contribution.NoteJsons.Select(ApiJson.Element)]);
    }
}

public sealed record ContributionsResponse(string AgreementId, IReadOnlyList<ContributionResponse> Contributions);

/// <summary>The leader's mailbox accepted a contribution: how many contributions it now holds for the agreement.</summary>
public sealed record ContributionReceivedResponse(string AgreementId, string Wallet, int ContributionsHeld);

/// <summary>A challenge (S4) waiting for the wallet, with the checkout to answer at.</summary>
public sealed record ChallengeResponse(string Store, string CheckoutId, string AgreementId, JsonElement Challenge);

public sealed record ChallengesResponse(IReadOnlyList<ChallengeResponse> Challenges)
{
    public static ChallengesResponse From(IEnumerable<PendingChallenge> challenges) =>
        new([.. challenges.Select(c => new ChallengeResponse(c.Store, c.CheckoutId, c.AgreementId, ApiJson.Element(c.ChallengeJson)))]);
}

public sealed record CheckoutReference(string Store, string CheckoutId);

/// <summary>The checkouts a wallet took part in, newest first.</summary>
public sealed record RecentCheckoutsResponse(IReadOnlyList<CheckoutReference> Checkouts)
{
    public static RecentCheckoutsResponse From(IEnumerable<string> keys)
    {
        var checkouts = new List<CheckoutReference>();
        foreach (var key in keys)
        {
            var at = key.IndexOf(GrainKeys.Separator, StringComparison.Ordinal);
            if (at > 0 && at < key.Length - 1)
            {
                checkouts.Add(new CheckoutReference(key[..at], key[(at + 1)..]));
            }
        }

        return new RecentCheckoutsResponse(checkouts);
    }
}

/// <summary>The wire spelling of the contracts' enums: snake_case.</summary>
internal static class Wire
{
    public static string Of(KeyStatus status) => status switch
    {
        KeyStatus.Active => "active",
        KeyStatus.Retired => "retired",
        _ => "revoked",
    };

    public static string Of(OwnerKind kind) => kind == OwnerKind.Store ? "store" : "wallet";

    public static string Of(NoteState state) => state switch
    {
        NoteState.Outstanding => "outstanding",
        NoteState.Held => "held",
        _ => "spent",
    };

    public static string Of(CheckoutStage stage) => stage switch
    {
        CheckoutStage.Open => "open",
        CheckoutStage.AgreementProposed => "agreement_proposed",
        CheckoutStage.Challenging => "challenging",
        CheckoutStage.Settling => "settling",
        CheckoutStage.Settled => "settled",
        _ => "aborted",
    };
}
