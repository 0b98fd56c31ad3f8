namespace OrleansSettlement.Bench.Load;

/// <summary>
/// Who takes part in the bench's checkouts: <see cref="Payers"/> payers per checkout spread round-robin over
/// <see cref="Banks"/> payer banks, <see cref="Stores"/> stores (checkout i at store i mod S), each store banking at a
/// bank of its own (the default: "store at a third bank") or, with <see cref="StoresAtPayerBanks"/>, at the payer banks.
/// </summary>
public sealed record BenchLayout(int Payers, int Banks, int Stores, bool StoresAtPayerBanks)
{
    /// <summary>The default checkout of the performance issue: 3 payers, 2 payer banks, the store at a third bank.</summary>
    public static BenchLayout Default { get; } = new(3, 2, 1, false);

    /// <summary>Payer j's share in minor units (3000, 4000, 5000, ...); the total is their sum.</summary>
    public static long ShareOf(int payer) => 3_000 + (1_000L * payer);

    /// <summary>Each payer spends one note worth its share plus this, so every payer gets change (as in the cost test).</summary>
    public const long ChangeMinor = 500;

    public long TotalMinor => Enumerable.Range(0, Payers).Sum(ShareOf);

    public string Describe() =>
        $"{Payers} payer{(Payers == 1 ? "" : "s")}, {Banks} payer bank{(Banks == 1 ? "" : "s")}, {Stores} store{(Stores == 1 ? "" : "s")} "
        + (StoresAtPayerBanks ? "at the payer banks" : "at a bank of their own");
}
