using OrleansSettlement.Bench.Hosting;

namespace OrleansSettlement.Bench.Load;

/// <summary>The parties of one bench configuration and how their apps drive a checkout, by one path (grain or HTTP).</summary>
internal interface ILoadWorld : IDisposable
{
    BenchLayout Layout { get; }

    /// <summary>Creates the banks and the stores.</summary>
    Task CreateBanksAndStoresAsync();

    /// <summary>Makes the payers of the next <paramref name="count"/> checkouts (0 .. count - 1) and withdraws their notes.</summary>
    Task PrepareAsync(int count);

    /// <summary>Runs checkout i (of the last preparation) to its end.</summary>
    Task<CheckoutSample> RunCheckoutAsync(int index, OutcomeSignal outcomes, TimeSpan outcomeTimeout);
}
