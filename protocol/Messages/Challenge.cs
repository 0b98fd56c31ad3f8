using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Protocol.Messages;

/// <summary>
/// Verification info (S4): a fresh single-use nonce for one participant of one agreement, with an expiry,
/// signed by the store's challenge key (named by <paramref name="StoreKeyId"/>) so that a bank can check for
/// itself (S8) that the challenge came from the store.
/// </summary>
public sealed record Challenge(
    string AgreementId,
    string Wallet,
    string Store,
    string Nonce,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string StoreKeyId)
{
    public JsonObject ToContent() => new()
    {
        ["purpose"] = Purposes.Challenge,
        ["agreementId"] = AgreementId,
        ["wallet"] = Wallet,
        ["store"] = Store,
        ["nonce"] = Nonce,
        ["issuedAt"] = Timestamps.Format(IssuedAt),
        ["expiresAt"] = Timestamps.Format(ExpiresAt),
        ["kid"] = StoreKeyId,
    };

    public static Outcome<Parsed<Challenge>> Parse(JsonNode? node, string path = "challenge") =>
        MessageReader.Read(node, path, Purposes.Challenge, signed: true, reader =>
        {
            var agreementId = reader.Hash("agreementId");
            var wallet = reader.Hash("wallet");
            var store = reader.Name("store");
            var nonce = reader.Binary("nonce", BinaryIds.MinNonceBytes, BinaryIds.MaxNonceBytes);
            var issuedAt = reader.Timestamp("issuedAt");
            var expiresAt = reader.Timestamp("expiresAt");
            var kid = reader.Hash("kid");
            if (reader.Error is null && expiresAt <= issuedAt)
            {
                reader.Fail(ProtocolErrorCode.InvalidField, $"{reader.Field("expiresAt")} must be later than issuedAt.");
            }

            return reader.Error is null ? new Challenge(agreementId, wallet, store, nonce, issuedAt, expiresAt, kid) : null;
        });
}

/// <summary>
/// Response info (S5): the holder key's signature over the challenge (by id and nonce), the agreement id and
/// the serials of the notes being spent.
/// </summary>
public sealed record Response(string AgreementId, string Wallet, string ChallengeId, string Nonce, IReadOnlyList<string> Notes)
{
    public JsonObject ToContent()
    {
        var notes = new JsonArray();
        foreach (var serial in Notes)
        {
            notes.Add(serial);
        }

        return new JsonObject
        {
            ["purpose"] = Purposes.Response,
            ["agreementId"] = AgreementId,
            ["wallet"] = Wallet,
            ["challengeId"] = ChallengeId,
            ["nonce"] = Nonce,
            ["notes"] = notes,
        };
    }

    public static Outcome<Parsed<Response>> Parse(JsonNode? node, string path = "response") =>
        MessageReader.Read(node, path, Purposes.Response, signed: true, reader =>
        {
            var agreementId = reader.Hash("agreementId");
            var wallet = reader.Hash("wallet");
            var challengeId = reader.Hash("challengeId");
            var nonce = reader.Binary("nonce", BinaryIds.MinNonceBytes, BinaryIds.MaxNonceBytes);
            var notes = reader.Serials("notes", RequestInfo.MaxNotes);
            return reader.Error is null ? new Response(agreementId, wallet, challengeId, nonce, notes) : null;
        });

    /// <summary>
    /// The first validity verification (S6, by the store) and the second (S8, by each bank): the challenge was
    /// signed by the store's key, the response answers exactly that challenge for that participant and agreement,
    /// names exactly the notes of the request, and is signed by the participant's key. The store passes the time
    /// the response arrived as <paramref name="receivedAt"/> to refuse late answers; a bank passes null, because
    /// the store's signed challenge and the store's own check already bound the time.
    /// </summary>
    public static ProtocolError? Check(
        Parsed<Response> response,
        Parsed<Challenge> challenge,
        PublicJwk storeKey,
        Participant participant,
        IReadOnlyList<string> requestNotes,
        DateTimeOffset? receivedAt)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(storeKey);
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentNullException.ThrowIfNull(requestNotes);
        var c = challenge.Value;
        var r = response.Value;
        if (!string.Equals(c.StoreKeyId, storeKey.Thumbprint, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.UnknownKey, $"the challenge for wallet {c.Wallet} names key {c.StoreKeyId}, which is not the store's key.");
        }

        if (challenge.VerifySignature(storeKey, Purposes.Challenge) is { } badChallenge)
        {
            return new ProtocolError(badChallenge.Code, $"the challenge for wallet {c.Wallet}: {badChallenge.Detail}");
        }

        if (!string.Equals(c.Wallet, participant.Wallet, StringComparison.Ordinal) || !string.Equals(r.Wallet, participant.Wallet, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.ChallengeMismatch, $"the challenge and response are not both for wallet {participant.Wallet}.");
        }

        if (!string.Equals(r.ChallengeId, challenge.Id, StringComparison.Ordinal)
            || !string.Equals(r.Nonce, c.Nonce, StringComparison.Ordinal)
            || !string.Equals(r.AgreementId, c.AgreementId, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.ChallengeMismatch, $"the response of wallet {r.Wallet} does not answer its current challenge.");
        }

        if (!r.Notes.SequenceEqual(requestNotes, StringComparer.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.NotesMismatch, $"the response of wallet {r.Wallet} names other notes than its request.");
        }

        if (receivedAt is { } at && at >= c.ExpiresAt)
        {
            return new ProtocolError(ProtocolErrorCode.ChallengeExpired, $"the challenge for wallet {r.Wallet} expired at {Timestamps.Format(c.ExpiresAt)}.");
        }

        return response.VerifySignature(participant.Key, Purposes.Response) is { } badResponse
            ? new ProtocolError(badResponse.Code, $"the response of wallet {r.Wallet}: {badResponse.Detail}")
            : null;
    }
}
