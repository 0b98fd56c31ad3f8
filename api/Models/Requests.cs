using System.Text.Json;

namespace OrleansSettlement.Api.Models;

// The request bodies, for the OpenAPI document. Routes read bodies strictly themselves (BodyReader): every member
// below is required unless it says otherwise, and members not listed are refused (unknown_field).

/// <summary>Creates an institution (admin only). <c>operatorTokenSha256</c> is the base64url SHA-256 of the operator's
/// bearer token, which the client chose (32 random bytes, base64url): the token itself is never sent.</summary>
public sealed record CreateInstitutionRequest(string Institution, string DisplayName, string OperatorTokenSha256);

/// <summary>Opens an account at the institution, owned by a wallet (its wallet id) or a store (its name).</summary>
/// <param name="Account">The account's name.</param>
/// <param name="OwnerKind"><c>wallet</c> or <c>store</c>.</param>
/// <param name="Owner">A wallet id (RFC 7638 thumbprint) or a store name.</param>
/// <param name="Currency">ISO 4217 code.</param>
public sealed record OpenAccountRequest(string Account, string OwnerKind, string Owner, string Currency);

/// <summary>Cash in at the edge: a positive amount in minor units.</summary>
public sealed record DepositRequest(long AmountMinor);

/// <summary>Creates a store paid into <c>account</c> at this institution (an account owned by the store).
/// <c>storeTokenSha256</c> is the base64url SHA-256 of the store's bearer token, chosen by the client.</summary>
public sealed record CreateStoreRequest(string Store, string DisplayName, string Account, string StoreTokenSha256);

/// <summary>Opens a checkout: the total in minor units, its lifetime (1 to 86400 seconds) and the SHA-256 (base64url) of
/// the item list or memo.</summary>
public sealed record OpenCheckoutRequest(string OrderRef, string Currency, long TotalMinor, long ExpiresInSeconds, string ItemsHash);

/// <summary>Registers the signing key as a wallet of an account that its bank opened for this wallet id.</summary>
public sealed record RegisterWalletRequest(JsonElement Key, string Institution, string Account);

/// <summary>Withdraws notes of these denominations (minor units, 1 to 64 notes) from the wallet's account.</summary>
public sealed record WithdrawRequest(IReadOnlyList<long> DenominationsMinor);

/// <summary>A participant the leader proposes: its public key (JWK), its bank and its share in minor units.</summary>
public sealed record ProposedParticipantRequest(JsonElement Key, string Institution, long ShareMinor);

/// <summary>The leader's proposal: every payer (itself included) and its share; the shares add up to the total.</summary>
public sealed record ProposeAgreementRequest(IReadOnlyList<ProposedParticipantRequest> Participants);

/// <summary>S1: a payer's agreement info (agreement + signed acceptance), signed request info and the signed notes it
/// spends, sent to the leader's mailbox. Every member is the JSON object the payer signed.</summary>
public sealed record ContributionRequest(JsonElement AgreementInfo, JsonElement RequestInfo, IReadOnlyList<JsonElement> Notes);

/// <summary>One payer's contribution in the leader's bundle.</summary>
public sealed record BundleContributionRequest(string Wallet, JsonElement AgreementInfo, JsonElement RequestInfo, IReadOnlyList<JsonElement> Notes);

/// <summary>S2: the leader's bundle, one contribution per payer (its own included).</summary>
public sealed record BundleRequest(IReadOnlyList<BundleContributionRequest> Contributions);

/// <summary>S5: the wallet's signed response to its challenge.</summary>
public sealed record SubmitResponseRequest(JsonElement Response);
