using OrleansSettlement.Api.Http;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Api.OpenApi;

/// <summary>One problem type a client can meet: its stable code, HTTP status, title and what it means.</summary>
/// <param name="Code">The wire code (<c>code</c> of the problem body), or <see cref="ProblemCatalog.ServiceUnavailable"/>.</param>
/// <param name="Status">The HTTP status it is answered with.</param>
/// <param name="Title">The problem's <c>title</c>.</param>
/// <param name="Meaning">What it means (docs/protocol.md, section 4); null when nobody described it yet.</param>
internal sealed record ProblemEntry(string Code, int Status, string Title, string? Meaning);

/// <summary>
/// Every problem the API can answer with, for the reference: each <see cref="ProtocolErrorCode"/> (its wire code and
/// status from <see cref="Problems"/>) and the one API-level problem without a protocol code, 503
/// <c>service_unavailable</c>. The meanings are those of docs/protocol.md, section 4; a test fails when a code has none.
/// </summary>
internal static class ProblemCatalog
{
    /// <summary>The problem type (not a protocol code: its body's <c>code</c> is null) of a 503 while the cluster is unreachable.</summary>
    public const string ServiceUnavailable = "service_unavailable";

    /// <summary>A trace id as the examples show it (W3C trace context).</summary>
    public const string ExampleTraceId = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static readonly Dictionary<string, string> Meanings = new(StringComparer.Ordinal)
    {
        ["malformed_json"] = "not JSON, trailing content, not an object where one is required, or nested too deep",
        ["duplicate_member"] = "an object has two members with the same name",
        ["number_not_integer"] = "a number in signed content is not a plain integer",
        ["integer_out_of_range"] = "an integer is beyond ±(2^53 − 1)",
        ["invalid_base64_url"] = "not strict base64url",
        ["invalid_timestamp"] = "not a UTC timestamp in the form yyyy-MM-ddTHH:mm:ssZ",
        ["missing_field"] = "a required member is missing",
        ["invalid_field"] = "a member has the wrong type or is outside its limits",
        ["unknown_field"] = "a member the message does not define",
        ["unsupported_version"] = "a version this implementation does not read",
        ["wrong_purpose"] = "the purpose is not the expected message type",
        ["invalid_key"] = "not an EC P-256 public JWK, or a point not on the curve, or a private key",
        ["missing_signature"] = "a signed message without sig",
        ["malformed_signature"] = "sig is not base64url of 64 bytes",
        ["bad_signature"] = "the signature does not verify with the expected key",
        ["unknown_key"] = "the kid is not a key of the expected party",
        ["invalid_currency"] = "not an ISO 4217 code",
        ["non_positive_amount"] = "an amount that must be positive is not",
        ["amount_out_of_range"] = "an amount beyond ±(2^53 − 1) minor units",
        ["currency_mismatch"] = "amounts in different currencies were combined",
        ["amount_overflow"] = "a sum leaves the range ±(2^53 − 1)",
        ["duplicate_note"] = "the same note serial is listed twice",
        ["note_expired"] = "the note has expired",
        ["note_not_yet_valid"] = "the note is not valid yet",
        ["note_wrong_holder"] = "the note is held by another key",
        ["note_wrong_issuer"] = "the note was issued by another institution than expected",
        ["note_wrong_currency"] = "the note is in another currency than the agreement",
        ["shares_do_not_sum_to_total"] = "the participants' shares do not add up to the total",
        ["duplicate_participant"] = "a wallet appears twice in the agreement or bundle",
        ["leader_not_participant"] = "the leader is not a participant",
        ["wallet_key_mismatch"] = "a wallet id is not the thumbprint of its key",
        ["agreement_expired"] = "the agreement has expired",
        ["agreement_mismatch"] = "the agreement infos (or a request or result) name different agreements",
        ["acceptance_missing"] = "a participant has not accepted",
        ["duplicate_acceptance"] = "a participant accepted twice",
        ["not_a_participant"] = "the wallet (or institution) is not a participant of the agreement",
        ["amount_not_share"] = "the request's amount is not the payer's share",
        ["payee_mismatch"] = "the request pays another account than the agreement's payee",
        ["institution_mismatch"] = "the request names another bank than the payer's",
        ["insufficient_notes"] = "the notes are worth less than the share",
        ["challenge_expired"] = "the response arrived after the challenge expired",
        ["challenge_mismatch"] = "the response does not answer the participant's current challenge",
        ["notes_mismatch"] = "the notes presented are not the ones the request lists",
        ["unknown_institution"] = "no institution of that name",
        ["unknown_account"] = "no such account at the institution",
        ["unknown_store"] = "no store of that name",
        ["unknown_wallet"] = "no wallet registered with that id",
        ["unknown_note"] = "the issuer has no note with that serial",
        ["unknown_checkout"] = "no such checkout at the store",
        ["unknown_agreement"] = "no such agreement",
        ["already_exists"] = "something of that name exists with other content",
        ["insufficient_funds"] = "the account balance is too low",
        ["note_already_spent"] = "the note has been spent",
        ["note_held_elsewhere"] = "the note is held for another agreement",
        ["checkout_closed"] = "the checkout no longer takes this step",
        ["checkout_expired"] = "the checkout expired before it reached the banks",
        ["checkout_session_lost"] = "the checkout lost its session before S7 (the service restarted); nothing was held: open a new checkout",
        ["checkout_mismatch"] = "the agreement is not this checkout's (store, amount, currency or order differ)",
        ["not_the_leader"] = "only the agreement's leader may do this",
        ["bundle_incomplete"] = "the bundle lacks a participant's contribution",
        ["challenge_not_found"] = "no current challenge for this wallet",
        ["idempotency_key_reused"] = "the Idempotency-Key was used before with other content",
        ["idempotency_key_missing"] = "a POST without an Idempotency-Key",
        ["unauthenticated"] = "no valid credentials or request signature",
        ["forbidden"] = "the caller may not act for this wallet, store or bank",
        ["signature_expired"] = "the request signature's created time is too old or in the future",
        ["replayed_request"] = "the request signature was used before",
        ["digest_mismatch"] = "Content-Digest does not match the body",
        ["payload_too_large"] = "the body is larger than the endpoint accepts",
        ["not_found"] = "no such resource",
        ["unsupported_media_type"] = "the body was sent with a Content-Type the route does not take (it takes application/json)",
        [ServiceUnavailable] = "the API is not connected to its cluster, or the cluster is recovering; retry with the same Idempotency-Key after Retry-After seconds",
    };

    public static IReadOnlyList<ProblemEntry> All { get; } =
    [
        .. Enum.GetValues<ProtocolErrorCode>().Select(code => Entry(ProtocolError.ToWireCode(code), Problems.StatusOf(code))),
        Entry(ServiceUnavailable, StatusCodes.Status503ServiceUnavailable),
    ];

    /// <summary>The name of a problem's example among the document's components.</summary>
    public static string ExampleName(string code) => "problem-" + code;

    /// <summary>An example problem body for <paramref name="entry"/>, as the API writes it.</summary>
    public static ProblemBody Example(ProblemEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new ProblemBody(
            Problems.TypeBase + entry.Code,
            entry.Title,
            entry.Status,
            (entry.Meaning ?? entry.Title) + ".",
            entry.Code == ServiceUnavailable ? null : entry.Code,
            ExampleTraceId,
            "/v1/stores/corner-cafe/checkouts/Q2hlY2tvdXQtMDAwMDAwMQ/bundle");
    }

    private static ProblemEntry Entry(string code, int status) => new(code, status, Problems.TitleOf(code), Meanings.GetValueOrDefault(code));
}
