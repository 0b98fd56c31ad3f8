using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Protocol.Messages;

/// <summary>An institution's vote on an agreement (S8, S9).</summary>
public enum Verdict
{
    Valid,
    Invalid,
}

/// <summary>
/// Verification result (S9): an institution's signed verdict on one agreement, with a machine-readable reason
/// when invalid (a <see cref="ProtocolError.WireCode"/>). Signed with the institution's messaging key, named by
/// <paramref name="InstitutionKeyId"/>.
/// </summary>
public sealed record VerificationResult(
    string AgreementId,
    string Institution,
    string InstitutionKeyId,
    Verdict Verdict,
    string? Reason,
    DateTimeOffset DecidedAt)
{
    public const int MaxReasonLength = 64;

    public JsonObject ToContent()
    {
        var content = new JsonObject
        {
            ["purpose"] = Purposes.VerificationResult,
            ["agreementId"] = AgreementId,
            ["institution"] = Institution,
            ["kid"] = InstitutionKeyId,
            ["verdict"] = Verdict == Verdict.Valid ? "valid" : "invalid",
            ["decidedAt"] = Timestamps.Format(DecidedAt),
        };
        if (Reason is not null)
        {
            content["reason"] = Reason;
        }

        return content;
    }

    public static Outcome<Parsed<VerificationResult>> Parse(JsonNode? node, string path = "verificationResult") =>
        MessageReader.Read(node, path, Purposes.VerificationResult, signed: true, reader =>
        {
            var agreementId = reader.Hash("agreementId");
            var institution = reader.Name("institution");
            var kid = reader.Hash("kid");
            var verdictText = reader.String("verdict", 16);
            var reasonNode = reader.Node("reason", required: false);
            var decidedAt = reader.Timestamp("decidedAt");
            if (reader.Error is not null)
            {
                return null;
            }

            Verdict verdict;
            switch (verdictText)
            {
                case "valid":
                    verdict = Verdict.Valid;
                    break;
                case "invalid":
                    verdict = Verdict.Invalid;
                    break;
                default:
                    reader.Fail(ProtocolErrorCode.InvalidField, $"{reader.Field("verdict")} must be 'valid' or 'invalid'.");
                    return null;
            }

            string? reason = null;
            if (reasonNode is not null)
            {
                reason = reasonNode.GetValueKind() == JsonValueKind.String ? reasonNode.GetValue<string>() : null;
                if (reason is null || reason.Length is 0 or > MaxReasonLength || !reason.All(c => c is (>= 'a' and <= 'z') or '_'))
                {
                    reader.Fail(ProtocolErrorCode.InvalidField, $"{reader.Field("reason")} must be a problem code (a-z and '_', at most {MaxReasonLength} characters).");
                    return null;
                }
            }

            if ((verdict == Verdict.Invalid) != (reason is not null))
            {
                reader.Fail(ProtocolErrorCode.InvalidField, $"{reader.Field("reason")} is required with verdict 'invalid' and not allowed with 'valid'.");
                return null;
            }

            return new VerificationResult(agreementId, institution, kid, verdict, reason, decidedAt);
        });
}
