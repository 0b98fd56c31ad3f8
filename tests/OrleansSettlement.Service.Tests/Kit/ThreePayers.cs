namespace OrleansSettlement.Service.Tests.Kit;

/// <summary>
/// The standard world of a group checkout test: three payers at two banks paying a store at a third. Alice (the leader)
/// and Carol bank with bank A, Bob with bank B, the store with bank C. Their notes are chosen so that every payer gets
/// change: shares 40.00 / 30.00 / 50.00 EUR of a 120.00 EUR total, paid from notes of 50.00 (Alice), 20.00 + 20.00 (Bob)
/// and 50.00 + 5.00 (Carol).
/// </summary>
public sealed record ThreePayers(
    string BankA,
    string BankB,
    string BankC,
    StoreParty Store,
    PayerParty Alice,
    PayerParty Bob,
    PayerParty Carol,
    IReadOnlyList<string> AliceNotes,
    IReadOnlyList<string> BobNotes,
    IReadOnlyList<string> CarolNotes)
{
    public const long TotalMinor = 12_000;
    public const long AliceShareMinor = 4_000;
    public const long BobShareMinor = 3_000;
    public const long CarolShareMinor = 5_000;
    public const long DepositMinor = 10_000;

    public IReadOnlyList<PayerParty> Payers => [Alice, Bob, Carol];

    /// <summary>Every note the payers spend in <see cref="Shares"/>.</summary>
    public IEnumerable<string> AllNotes => AliceNotes.Concat(BobNotes).Concat(CarolNotes);

    /// <summary>The shares of the standard agreement, in the order the leader proposes them.</summary>
    public Share[] Shares =>
    [
        new(Alice, AliceShareMinor, AliceNotes),
        new(Bob, BobShareMinor, BobNotes),
        new(Carol, CarolShareMinor, CarolNotes),
    ];

    public static async Task<ThreePayers> Create(SettlementKit kit)
    {
        ArgumentNullException.ThrowIfNull(kit);
        var bankA = await kit.CreateBank("bank-a");
        var bankB = await kit.CreateBank("bank-b");
        var bankC = await kit.CreateBank("bank-c");
        var store = await kit.CreateStore(bankC, "cafe");
        var alice = await kit.CreatePayer(bankA, DepositMinor, "alice");
        var bob = await kit.CreatePayer(bankB, DepositMinor, "bob");
        var carol = await kit.CreatePayer(bankA, DepositMinor, "carol");
        return new ThreePayers(
            bankA,
            bankB,
            bankC,
            store,
            alice,
            bob,
            carol,
            await kit.Withdraw(alice, 5_000),
            await kit.Withdraw(bob, 2_000, 2_000),
            await kit.Withdraw(carol, 5_000, 500));
    }

    /// <summary>Opens a checkout of the store for the total; Alice will lead it.</summary>
    public Task<GroupCheckout> OpenCheckout(SettlementKit kit, TimeSpan? lifetime = null, string orderRef = "order-1") =>
        (kit ?? throw new ArgumentNullException(nameof(kit))).OpenCheckout(Store, TotalMinor, lifetime, orderRef);
}
