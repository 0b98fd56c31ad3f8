using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Messages;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// Whether a note's holder agreement committed, checked by the note's issuer itself (ADR 0019): a note held by an
/// agreement is spent exactly when that agreement's settlement grain holds a COMMIT that carries a signed VALID result of
/// every institution the agreement names, this issuer among them. The same check a bank part makes before S10
/// (<see cref="BankAgreementChecks.VerifyCommitAsync"/>), with the institutions taken from the agreement's own text,
/// whose hash must be the agreement id, so that the settlement grain cannot make a note spent by a decision it forged.
/// </summary>
internal static class NoteCommitCheck
{
    /// <summary>Null when <paramref name="decided"/> is a genuine COMMIT of <paramref name="agreementId"/> in which
    /// <paramref name="issuer"/> takes part; otherwise what is wrong with it.</summary>
    public static async Task<ProtocolError?> VerifyAsync(string issuer, string agreementId, DecidedAgreement decided, IBankPartLookups lookups)
    {
        ArgumentNullException.ThrowIfNull(decided);
        var agreement = SafeJson.ParseMessage(decided.AgreementJson ?? "", obj => Agreement.Parse(obj));
        if (!agreement.IsOk)
        {
            return agreement.Error;
        }

        if (!string.Equals(agreement.Value.Id, agreementId, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.AgreementMismatch, $"the agreement given is {agreement.Value.Id}, not {agreementId}.");
        }

        var deal = agreement.Value.Value;
        var institutions = deal.Participants.Select(p => p.Institution).Append(deal.Payee.Institution)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (!institutions.Contains(issuer, StringComparer.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.InstitutionMismatch, $"institution '{issuer}' takes no part in agreement {agreementId}.");
        }

        return await BankAgreementChecks.VerifyCommitAsync(agreementId, institutions, decided.Decision, lookups).ConfigureAwait(true);
    }
}
