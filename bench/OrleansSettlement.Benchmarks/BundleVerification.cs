using System.Text.Json.Nodes;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Messages;

namespace OrleansSettlement.Benchmarks;

/// <summary>
/// The protocol checks of S8 for a whole bundle, in the order grains/Grains/Banking/BankAgreementChecks.cs runs them:
/// the agreement and every agreement info (each acceptance verified), then per payer its notes (issuer key), its request
/// (payer key, against the agreement and the notes), the store's challenge (store key) and the response (payer key).
/// </summary>
internal static class BundleVerification
{
    public static ProtocolError? Verify(SampleBundle bundle)
    {
        var agreement = Agreement.Parse(JsonNode.Parse(bundle.AgreementJson)).Value;
        var infos = new List<AgreementInfo>(bundle.Payers.Count);
        foreach (var payer in bundle.Payers)
        {
            var info = AgreementInfo.Parse(JsonNode.Parse(payer.AgreementInfoJson));
            if (!info.IsOk)
            {
                return info.Error;
            }

            infos.Add(info.Value);
        }

        var matched = AgreementMatching.Check(infos, bundle.Now);
        if (!matched.IsOk)
        {
            return matched.Error;
        }

        var bankKey = bundle.BankKey.PublicKey;
        var storeKey = bundle.StoreKey.PublicKey;
        foreach (var payer in bundle.Payers)
        {
            var participant = agreement.Value.FindParticipant(payer.Wallet)!;
            var note = Note.Parse(JsonNode.Parse(payer.NoteJson));
            if (!note.IsOk)
            {
                return note.Error;
            }

            if (Note.Check(note.Value, SampleBundle.Bank, bankKey, payer.Wallet, bundle.Now) is { } badNote)
            {
                return badNote;
            }

            var request = RequestInfo.Parse(JsonNode.Parse(payer.RequestJson));
            if (!request.IsOk)
            {
                return request.Error;
            }

            if (request.Value.VerifySignature(participant.Key, Purposes.Request) is { } badSignature)
            {
                return badSignature;
            }

            if (RequestInfo.Check(request.Value, agreement, [note.Value.Value]) is { } badRequest)
            {
                return badRequest;
            }

            var challenge = Challenge.Parse(JsonNode.Parse(payer.ChallengeJson));
            var response = Response.Parse(JsonNode.Parse(payer.ResponseJson));
            if (!challenge.IsOk || !response.IsOk)
            {
                return challenge.IsOk ? response.Error : challenge.Error;
            }

            if (Response.Check(response.Value, challenge.Value, storeKey, participant, request.Value.Value.Notes, null) is { } badResponse)
            {
                return badResponse;
            }
        }

        return null;
    }
}
