using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Protocol.Messages;

/// <summary>
/// An e-money note: a bearer amount issued by an institution to a holder key, signed with the issuing
/// institution's note key (Key Vault in production). Spending it needs the holder key's signatures.
/// </summary>
/// <param name="Serial">128 random bits, base64url: the note's identity for double-spend checks.</param>
/// <param name="Issuer">The issuing institution's name.</param>
/// <param name="IssuerKeyId">The RFC 7638 thumbprint of the issuing key version (<c>kid</c>).</param>
/// <param name="Amount">The value, positive.</param>
/// <param name="Holder">The RFC 7638 thumbprint of the holder's public key.</param>
/// <param name="IssuedAt">When the note was issued; it is not valid before.</param>
/// <param name="ExpiresAt">When the note stops being valid.</param>
public sealed record Note(
    string Serial,
    string Issuer,
    string IssuerKeyId,
    Money Amount,
    string Holder,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt)
{
    public const int Version = 1;

    /// <summary>The unsigned content, ready for <see cref="Signing.SignedObject.SignAsync"/>.</summary>
    public JsonObject ToContent() => new()
    {
        ["purpose"] = Purposes.Note,
        ["version"] = Version,
        ["serial"] = Serial,
        ["issuer"] = Issuer,
        ["kid"] = IssuerKeyId,
        ["currency"] = Amount.Currency.Code,
        ["amountMinor"] = Amount.AmountMinor,
        ["holder"] = Holder,
        ["issuedAt"] = Timestamps.Format(IssuedAt),
        ["expiresAt"] = Timestamps.Format(ExpiresAt),
    };

    /// <summary>Reads a signed note's structure; the signature is checked by <see cref="Check"/>.</summary>
    public static Outcome<Parsed<Note>> Parse(JsonNode? node, string path = "note") =>
        MessageReader.Read(node, path, Purposes.Note, signed: true, reader =>
        {
            reader.Version(Version);
            var serial = reader.Binary("serial", BinaryIds.SerialBytes, BinaryIds.SerialBytes);
            var issuer = reader.Name("issuer");
            var kid = reader.Hash("kid");
            var currency = reader.Currency("currency");
            var amount = reader.Amount(currency, "amountMinor");
            var holder = reader.Hash("holder");
            var issuedAt = reader.Timestamp("issuedAt");
            var expiresAt = reader.Timestamp("expiresAt");
            if (reader.Error is null && expiresAt <= issuedAt)
            {
                reader.Fail(ProtocolErrorCode.InvalidField, $"{reader.Field("expiresAt")} must be later than issuedAt.");
            }

            return reader.Error is null ? new Note(serial, issuer, kid, amount, holder, issuedAt, expiresAt) : null;
        });

    /// <summary>
    /// Everything a verifier checks about a note it is shown: issued by <paramref name="issuer"/> with the key
    /// <paramref name="issuerKey"/> (whose thumbprint must be the note's kid), held by <paramref name="holder"/>,
    /// valid at <paramref name="now"/>, and signed.
    /// </summary>
    public static ProtocolError? Check(Parsed<Note> note, string issuer, PublicJwk issuerKey, string holder, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(issuerKey);
        var value = note.Value;
        if (!string.Equals(value.Issuer, issuer, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.NoteWrongIssuer, $"note {value.Serial} was issued by '{value.Issuer}', not by '{issuer}'.");
        }

        if (!string.Equals(value.IssuerKeyId, issuerKey.Thumbprint, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.UnknownKey, $"note {value.Serial} names key {value.IssuerKeyId}, which is not a key of '{issuer}'.");
        }

        if (note.VerifySignature(issuerKey, Purposes.Note) is { } bad)
        {
            return new ProtocolError(bad.Code, $"note {value.Serial}: {bad.Detail}");
        }

        if (!string.Equals(value.Holder, holder, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.NoteWrongHolder, $"note {value.Serial} is held by another key.");
        }

        if (now < value.IssuedAt)
        {
            return new ProtocolError(ProtocolErrorCode.NoteNotYetValid, $"note {value.Serial} is not valid before {Timestamps.Format(value.IssuedAt)}.");
        }

        return now >= value.ExpiresAt
            ? new ProtocolError(ProtocolErrorCode.NoteExpired, $"note {value.Serial} expired at {Timestamps.Format(value.ExpiresAt)}.")
            : null;
    }
}
