using System.Globalization;

namespace OrleansSettlement.Cli.Demo;

/// <summary>
/// What one demo checkout does: <see cref="Payers"/> payers spread round-robin over the first <see cref="Banks"/> demo
/// payer banks, the store at <see cref="StoreBank"/>, a total of <see cref="AmountMinor"/> split into shares that sum to
/// it exactly, and how long to wait for the outcome.
/// </summary>
internal sealed record DemoSettings(int Payers, int Banks, string StoreBank, long AmountMinor)
{
    public const int DefaultPayers = 3;
    public const int MinPayers = 2;

    /// <summary>The protocol's limit of participants in one agreement.</summary>
    public const int MaxPayers = 32;

    public const int DefaultBanks = 2;
    public const long DefaultAmountMinor = 12_000;
    public const long MaxAmountMinor = 1_000_000_000_000;

    /// <summary>The value of the note a payer's share is rounded up to (EUR 10.00).</summary>
    public const long RoundNoteMinor = 1_000;

    /// <summary>The small note a payer adds when its share is already round, so that change comes back (EUR 5.00).</summary>
    public const long SmallNoteMinor = 500;

    public static readonly TimeSpan DefaultOutcomeTimeout = TimeSpan.FromSeconds(120);

    /// <summary>How long to wait for the outcome after the last answer (and for the service through transient errors).</summary>
    public TimeSpan OutcomeTimeout { get; init; } = DefaultOutcomeTimeout;

    public string Currency { get; init; } = DemoCatalog.Currency;

    /// <summary>The payer banks used: the first <see cref="Banks"/> of bank-a .. bank-e.</summary>
    public IReadOnlyList<string> PayerBanks => [.. DemoCatalog.PayerBanks.Take(Banks)];

    /// <summary>The bank of payer <paramref name="payer"/> (1-based): round-robin over <see cref="PayerBanks"/>.</summary>
    public string BankOf(int payer) => DemoCatalog.PayerBanks[(payer - 1) % Banks];

    /// <summary>Checks the numbers; throws <see cref="DemoSetupException"/> naming the option.</summary>
    public void Validate()
    {
        if (Payers is < MinPayers or > MaxPayers)
        {
            throw new DemoSetupException($"--payers must be between {MinPayers} and {MaxPayers} (the protocol's limit of participants); {Payers} was given.");
        }

        if (Banks < 1 || Banks > DemoCatalog.PayerBanks.Count)
        {
            throw new DemoSetupException($"--banks must be between 1 and {DemoCatalog.PayerBanks.Count} (bank-a .. bank-e); {Banks} was given.");
        }

        if (!DemoCatalog.IsInstitution(StoreBank))
        {
            throw new DemoSetupException($"--store-bank must be one of the demo banks ({string.Join(", ", DemoCatalog.Institutions)}); '{StoreBank}' was given.");
        }

        if (AmountMinor < Payers || AmountMinor > MaxAmountMinor)
        {
            throw new DemoSetupException(string.Create(
                CultureInfo.InvariantCulture,
                $"--amount must be between {Payers} (1 minor unit per payer) and {MaxAmountMinor} minor units; {AmountMinor} was given."));
        }

        if (OutcomeTimeout <= TimeSpan.Zero)
        {
            throw new DemoSetupException("--timeout must be positive.");
        }
    }

    /// <summary>
    /// <paramref name="totalMinor"/> split into <paramref name="payers"/> shares that sum to it exactly: equal shares, the
    /// first ones 1 minor unit larger while a remainder is left.
    /// </summary>
    public static IReadOnlyList<long> Shares(long totalMinor, int payers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(payers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalMinor, payers);
        var share = totalMinor / payers;
        var remainder = totalMinor % payers;
        return [.. Enumerable.Range(0, payers).Select(i => i < remainder ? share + 1 : share)];
    }

    /// <summary>
    /// The notes a payer withdraws for <paramref name="shareMinor"/>: one note of the share rounded up to EUR 10.00, and a
    /// EUR 5.00 note when that is the share exactly, so they are always worth more than the share and change comes back.
    /// </summary>
    public static IReadOnlyList<long> NotesFor(long shareMinor)
    {
        var round = checked((shareMinor + RoundNoteMinor - 1) / RoundNoteMinor * RoundNoteMinor);
        return round > shareMinor ? [round] : [round, SmallNoteMinor];
    }

    /// <summary>What the bank deposits for a payer: the notes it will withdraw and half its share more, left in the account.</summary>
    public static long DepositFor(long shareMinor, IReadOnlyList<long> notesMinor) => checked(notesMinor.Sum() + ((shareMinor + 1) / 2));
}
