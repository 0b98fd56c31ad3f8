using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>A bank created over HTTP by the admin, with its operator's token and session.</summary>
public sealed record FlowBank(string Name, BearerToken OperatorToken, OperatorSession Operator)
{
    public override string ToString() => Name;
}

/// <summary>A store created over HTTP by its bank's operator: its account there, its token and session.</summary>
public sealed record FlowStore(string Name, FlowBank Bank, string Account, BearerToken Token, StoreSession Session)
{
    public string Institution => Bank.Name;

    public override string ToString() => Name;
}

/// <summary>A payer: a key that never leaves the test, its wallet session, its bank and its account there.</summary>
public sealed record FlowPayer(string Label, LocalSigner Key, WalletSession Wallet, FlowBank Bank, string Account)
{
    public string WalletId => Wallet.WalletId;

    public string Institution => Bank.Name;

    /// <summary>The participant the leader proposes for this payer with <paramref name="shareMinor"/>.</summary>
    public ProposedParticipant Proposed(long shareMinor) => new(Key.PublicKey.ToJson(), Institution, shareMinor);

    public override string ToString() => $"{Label} ({WalletId[..8]} at {Institution})";
}

/// <summary>One payer's part in a group checkout: its share and the notes it spends.</summary>
public sealed record FlowShare(FlowPayer Payer, long ShareMinor, IReadOnlyList<JsonObject> Notes);

/// <summary>
/// The standard world of the bad-path tests: Alice (the leader) and Carol bank with bank A, Bob with bank B, the store
/// with bank C, so every checkout has two payer banks and a payee bank.
/// </summary>
public sealed record FlowWorld(FlowBank BankA, FlowBank BankB, FlowBank BankC, FlowStore Store, FlowPayer Alice, FlowPayer Bob, FlowPayer Carol)
{
    public const long TotalMinor = 12_000;

    public IReadOnlyList<FlowPayer> Payers => [Alice, Bob, Carol];

    public IReadOnlyList<FlowBank> Banks => [BankA, BankB, BankC];
}

/// <summary>
/// Builds the parties of a bad-path test through the real API with the SDK, as partners would: banks (the admin creates
/// each institution with its operator's token hash), stores (the operator opens the store's account, then creates the
/// store with the store's token hash), payers (a fresh <see cref="LocalSigner"/>; the operator opens the account owned
/// by the wallet and takes a deposit; the wallet registers itself) and notes (withdrawn by the wallet in chosen
/// denominations). Every name gets a random suffix, so tests sharing one service never collide.
/// </summary>
public sealed class FlowParties : IDisposable
{
    public const string Currency = "EUR";

    private readonly List<LocalSigner> _keys = [];

    public FlowParties(FlowFixture fixture)
    {
        Fixture = fixture ?? throw new ArgumentNullException(nameof(fixture));
        Http = new HttpClient { BaseAddress = fixture.ApiAddress, Timeout = TimeSpan.FromSeconds(30) };
        Client = new SettlementClient(Http);
    }

    public FlowFixture Fixture { get; }

    public HttpClient Http { get; }

    public SettlementClient Client { get; }

    public AdminSession Admin => Client.Admin(FlowFixture.AdminToken);

    /// <summary>A name unique to this test run: <paramref name="prefix"/> and 8 random hex digits.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    public async Task<FlowBank> CreateBankAsync(string prefix = "bank")
    {
        var name = UniqueName(prefix);
        var token = BearerToken.Create();
        await Admin.CreateInstitutionAsync(name, $"Bank {name}", token);
        return new FlowBank(name, token, Client.Operator(name, token.Token));
    }

    public async Task<FlowStore> CreateStoreAsync(FlowBank bank, string prefix = "store")
    {
        ArgumentNullException.ThrowIfNull(bank);
        var name = UniqueName(prefix);
        var account = name + "-till";
        await bank.Operator.OpenAccountAsync(account, AccountOwnerKind.Store, name, Currency);
        var token = BearerToken.Create();
        await bank.Operator.CreateStoreAsync(name, $"Store {name}", account, token);
        return new FlowStore(name, bank, account, token, Client.Store(name, token.Token));
    }

    /// <summary>A payer with a fresh key, an account at <paramref name="bank"/> holding <paramref name="depositMinor"/>,
    /// and its wallet registered.</summary>
    public async Task<FlowPayer> CreatePayerAsync(FlowBank bank, long depositMinor, string label = "payer")
    {
        ArgumentNullException.ThrowIfNull(bank);
        var key = LocalSigner.Generate();
        _keys.Add(key);
        var payer = new FlowPayer(label, key, Client.Wallet(key), bank, UniqueName(label));
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, Currency);
        if (depositMinor > 0)
        {
            await bank.Operator.DepositAsync(payer.Account, depositMinor);
        }

        await payer.Wallet.RegisterAsync(bank.Name, payer.Account);
        return payer;
    }

    /// <summary>A key that is nobody's wallet (a forger's), disposed with the parties.</summary>
    public LocalSigner NewKey()
    {
        var key = LocalSigner.Generate();
        _keys.Add(key);
        return key;
    }

    /// <summary>The wallet withdraws notes of these denominations from its account.</summary>
    public static async Task<IReadOnlyList<JsonObject>> WithdrawAsync(FlowPayer payer, params long[] denominationsMinor)
    {
        ArgumentNullException.ThrowIfNull(payer);
        return (await payer.Wallet.WithdrawAsync(denominationsMinor)).Notes;
    }

    /// <summary>Three banks, a store at bank C, Alice and Carol at bank A and Bob at bank B, each with
    /// <paramref name="depositMinor"/> in its account.</summary>
    public async Task<FlowWorld> CreateWorldAsync(long depositMinor = 50_000)
    {
        var bankA = await CreateBankAsync("bank-a");
        var bankB = await CreateBankAsync("bank-b");
        var bankC = await CreateBankAsync("bank-c");
        var store = await CreateStoreAsync(bankC, "cafe");
        var alice = await CreatePayerAsync(bankA, depositMinor, "alice");
        var bob = await CreatePayerAsync(bankB, depositMinor, "bob");
        var carol = await CreatePayerAsync(bankA, depositMinor, "carol");
        return new FlowWorld(bankA, bankB, bankC, store, alice, bob, carol);
    }

    /// <summary>
    /// Fresh notes for the standard shares of a 120.00 EUR checkout: Alice 40.00 from 50.00, Bob 30.00 from 20.00 + 20.00,
    /// Carol 50.00 from 50.00 + 5.00, so every payer gets change.
    /// </summary>
    public static async Task<FlowShare[]> StandardSharesAsync(FlowWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        return
        [
            new(world.Alice, 4_000, await WithdrawAsync(world.Alice, 5_000)),
            new(world.Bob, 3_000, await WithdrawAsync(world.Bob, 2_000, 2_000)),
            new(world.Carol, 5_000, await WithdrawAsync(world.Carol, 5_000, 500)),
        ];
    }

    /// <summary>The store opens a checkout (expiring after <paramref name="expiresIn"/>, default 10 minutes) and returns the
    /// driver for it; <paramref name="tampering"/> changes the messages the payers' apps send.</summary>
    public async Task<FlowCheckout> OpenCheckoutAsync(FlowStore store, long totalMinor, TimeSpan? expiresIn = null, string orderRef = "order-1", FlowTampering? tampering = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var opened = await store.Session.OpenCheckoutAsync(orderRef, Currency, totalMinor, expiresIn ?? TimeSpan.FromMinutes(10), SettlementIds.ItemsHash("3 coffees"));
        return new FlowCheckout(store, opened, tampering ?? FlowTampering.None);
    }

    /// <summary>The serial of a note.</summary>
    public static string Serial(JsonObject note) => Note.Parse(note.DeepClone()).Value.Value.Serial;

    public void Dispose()
    {
        Http.Dispose();
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}
