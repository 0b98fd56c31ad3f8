using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Protocol.Messages;

/// <summary>
/// A payer's request to its own institution (S1, S7): pay <paramref name="Amount"/> (its share) from the listed
/// notes to the payee of the agreement, and issue the change to <paramref name="ChangeTo"/>. Signed by the payer.
/// </summary>
public sealed record RequestInfo(
    string AgreementId,
    string Wallet,
    string Institution,
    IReadOnlyList<string> Notes,
    Money Amount,
    Payee Payee,
    string ChangeTo)
{
    public const int MaxNotes = 64;

    public JsonObject ToContent()
    {
        var notes = new JsonArray();
        foreach (var serial in Notes)
        {
            notes.Add(serial);
        }

        return new JsonObject
        {
            ["purpose"] = Purposes.Request,
            ["agreementId"] = AgreementId,
            ["wallet"] = Wallet,
            ["institution"] = Institution,
            ["notes"] = notes,
            ["currency"] = Amount.Currency.Code,
            ["amountMinor"] = Amount.AmountMinor,
            ["payee"] = Payee.ToJson(),
            ["changeTo"] = ChangeTo,
        };
    }

    public static Outcome<Parsed<RequestInfo>> Parse(JsonNode? node, string path = "requestInfo") =>
        MessageReader.Read(node, path, Purposes.Request, signed: true, reader =>
        {
            var agreementId = reader.Hash("agreementId");
            var wallet = reader.Hash("wallet");
            var institution = reader.Name("institution");
            var notes = reader.Serials("notes", MaxNotes);
            var currency = reader.Currency("currency");
            var amount = reader.Amount(currency, "amountMinor");
            var payee = Payee.Read(reader, "payee");
            var changeTo = reader.Hash("changeTo");
            return reader.Error is null ? new RequestInfo(agreementId, wallet, institution, notes, amount, payee!, changeTo) : null;
        });

    /// <summary>
    /// Checks a request against the agreement it names and the notes it spends (already checked one by one
    /// with <see cref="Note.Check"/>): signed by the participant, for its share, to the agreed payee, at its own
    /// institution, spending exactly the listed notes, which are enough for the share.
    /// </summary>
    public static ProtocolError? Check(Parsed<RequestInfo> request, Parsed<Agreement> agreement, IReadOnlyList<Note> notes)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(agreement);
        ArgumentNullException.ThrowIfNull(notes);
        var value = request.Value;
        if (!string.Equals(value.AgreementId, agreement.Id, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.AgreementMismatch, $"the request of wallet {value.Wallet} names agreement {value.AgreementId}, not {agreement.Id}.");
        }

        var participant = agreement.Value.FindParticipant(value.Wallet);
        if (participant is null)
        {
            return new ProtocolError(ProtocolErrorCode.NotAParticipant, $"wallet {value.Wallet} is not a participant of agreement {agreement.Id}.");
        }

        if (request.VerifySignature(participant.Key, Purposes.Request) is { } bad)
        {
            return new ProtocolError(bad.Code, $"the request of wallet {value.Wallet}: {bad.Detail}");
        }

        if (!string.Equals(value.Institution, participant.Institution, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.InstitutionMismatch, $"wallet {value.Wallet} banks with '{participant.Institution}' in the agreement, not '{value.Institution}'.");
        }

        if (value.Amount != participant.Share)
        {
            return new ProtocolError(ProtocolErrorCode.AmountNotShare, $"wallet {value.Wallet} asks to pay {value.Amount.AmountMinor} {value.Amount.Currency} but its share is {participant.Share.AmountMinor} {participant.Share.Currency} minor units.");
        }

        if (value.Payee != agreement.Value.Payee)
        {
            return new ProtocolError(ProtocolErrorCode.PayeeMismatch, $"the request of wallet {value.Wallet} pays {value.Payee.Account} at {value.Payee.Institution}, not the agreed payee.");
        }

        if (notes.Count != value.Notes.Count || !notes.Select(n => n.Serial).SequenceEqual(value.Notes, StringComparer.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.NotesMismatch, $"the notes given are not the notes the request of wallet {value.Wallet} lists.");
        }

        foreach (var note in notes)
        {
            if (note.Amount.Currency != value.Amount.Currency)
            {
                return new ProtocolError(ProtocolErrorCode.NoteWrongCurrency, $"note {note.Serial} is in {note.Amount.Currency}, not {value.Amount.Currency}.");
            }

            if (!string.Equals(note.Issuer, value.Institution, StringComparison.Ordinal))
            {
                return new ProtocolError(ProtocolErrorCode.NoteWrongIssuer, $"note {note.Serial} was issued by '{note.Issuer}', not by the payer's institution '{value.Institution}'.");
            }

            if (!string.Equals(note.Holder, value.Wallet, StringComparison.Ordinal))
            {
                return new ProtocolError(ProtocolErrorCode.NoteWrongHolder, $"note {note.Serial} is not held by wallet {value.Wallet}.");
            }
        }

        var sum = Money.Sum(notes.Select(n => n.Amount));
        if (!sum.IsOk)
        {
            return sum.Error;
        }

        return sum.Value.AmountMinor < value.Amount.AmountMinor
            ? new ProtocolError(ProtocolErrorCode.InsufficientNotes, $"the notes of wallet {value.Wallet} hold {sum.Value.AmountMinor} but its share is {value.Amount.AmountMinor} {value.Amount.Currency} minor units.")
            : null;
    }
}
