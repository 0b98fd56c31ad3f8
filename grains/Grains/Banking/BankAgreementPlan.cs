using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// One bank part's whole S10 plan: the change notes it mints (serials fixed here, so a retry never mints a second one),
/// the credit to the payee account and the interbank positions. Fixed at S8 from what the checks found and written with
/// the VALID result, so that it is durable in one write before any effect (PROTOCOL-CHOICES "All or nothing").
/// </summary>
internal sealed record BankAgreementPlan(List<ChangePlan> Changes, long CreditMinor, List<InterbankPosition> Positions)
{
    /// <summary>Whether a payer of this bank gets change, so that a note key must be active to plan.</summary>
    public static bool NeedsChange(IEnumerable<BankPayerPart> payers) => payers.Any(p => p.NotesMinor > p.ShareMinor);

    /// <summary>The plan of <paramref name="institution"/>; <paramref name="kid"/> is its active note key when
    /// <see cref="NeedsChange"/>.</summary>
    public static BankAgreementPlan Fix(
        string institution,
        IReadOnlyList<BankPayerPart> payers,
        IReadOnlyList<InstitutionShare> shares,
        string payeeInstitution,
        string currency,
        long totalMinor,
        string? kid,
        DateTimeOffset now,
        TimeSpan noteLifetime)
    {
        var changes = payers.Where(p => p.NotesMinor > p.ShareMinor).Select(p => new ChangePlan
        {
            Wallet = p.Wallet,
            Serial = BinaryIds.NewRandom(),
            AmountMinor = checked(p.NotesMinor - p.ShareMinor),
            Holder = p.ChangeTo,
            Kid = kid ?? throw new InvalidOperationException($"institution {institution} has no active note key for change."),
            IssuedAt = now,
            ExpiresAt = now + noteLifetime,
        }).ToList();

        var isPayee = string.Equals(payeeInstitution, institution, StringComparison.Ordinal);
        var positions = new List<InterbankPosition>();
        if (isPayee)
        {
            positions.AddRange(shares
                .Where(s => !string.Equals(s.Institution, institution, StringComparison.Ordinal))
                .Select(s => new InterbankPosition { Counterparty = s.Institution, Currency = currency, AmountMinor = s.ShareMinor }));
        }
        else if (shares.FirstOrDefault(s => string.Equals(s.Institution, institution, StringComparison.Ordinal)) is { } own)
        {
            positions.Add(new InterbankPosition { Counterparty = payeeInstitution, Currency = currency, AmountMinor = -own.ShareMinor });
        }

        return new BankAgreementPlan(changes, isPayee ? totalMinor : 0, positions);
    }
}
