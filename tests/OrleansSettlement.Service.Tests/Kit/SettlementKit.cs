using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Service.Tests.Kit;

/// <summary>
/// Builds the parties of a whole-flow test through the grains, as the API and the apps would: banks
/// (<see cref="IInstitutionGrain.Create"/>), stores (an account owned by the store, then <see cref="IStoreGrain.Create"/>),
/// payers (a key of their own, an account owned by the wallet with a deposit, a registered wallet) and notes
/// (<see cref="IAccountGrain.Withdraw"/>). Every name gets a random suffix, so tests sharing one silo never collide, and
/// every refusal along the way fails the test with the refusal's code and sentence.
/// </summary>
public sealed class SettlementKit(IGrainFactory grains) : IDisposable
{
    public const string Currency = "EUR";

    private readonly List<PayerParty> _payers = [];

    public IGrainFactory Grains { get; } = grains;

    /// <summary>A name unique to this test run: <paramref name="prefix"/> and 8 random hex digits.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>A fresh base64url SHA-256, as the API makes from a bearer token it shows once.</summary>
    public static string NewTokenHash() => Sha256Id.Of(Guid.NewGuid().ToByteArray());

    /// <summary>The items hash of a memo.</summary>
    public static string ItemsHash(string memo) => Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes(memo));

    public async Task<string> CreateBank(string prefix = "bank")
    {
        var name = UniqueName(prefix);
        Ok(await Grains.GetGrain<IInstitutionGrain>(name).Create($"Bank {name}", NewTokenHash()), $"create bank {name}");
        return name;
    }

    /// <summary>A store paid into a new account at <paramref name="institution"/> owned by it.</summary>
    public async Task<StoreParty> CreateStore(string institution, string prefix = "store")
    {
        var name = UniqueName(prefix);
        var account = name + "-till";
        Ok(await Account(institution, account).Open(OwnerKind.Store, name, Currency), $"open store account {account}");
        Ok(await Grains.GetGrain<IStoreGrain>(name).Create($"Store {name}", institution, account, NewTokenHash()), $"create store {name}");
        return new StoreParty(name, institution, account);
    }

    /// <summary>A payer with a fresh key, an account at <paramref name="institution"/> holding <paramref name="depositMinor"/>
    /// and a registered wallet. Disposed with the kit.</summary>
    public async Task<PayerParty> CreatePayer(string institution, long depositMinor, string name = "payer")
    {
        var payer = new PayerParty(name, LocalSigner.Generate(), institution, UniqueName(name));
        _payers.Add(payer);
        Ok(await Account(institution, payer.Account).Open(OwnerKind.Wallet, payer.Wallet, Currency), $"open account of {payer}");
        if (depositMinor > 0)
        {
            Ok(await Account(institution, payer.Account).Deposit(UniqueName("deposit"), depositMinor), $"deposit for {payer}");
        }

        Ok(await Wallet(payer).Register(payer.PublicJwkJson, institution, payer.Account), $"register wallet of {payer}");
        return payer;
    }

    /// <summary>Withdraws notes of the given denominations into the payer's wallet; returns their signed JSON texts.</summary>
    public async Task<IReadOnlyList<string>> Withdraw(PayerParty payer, params long[] denominationsMinor)
    {
        ArgumentNullException.ThrowIfNull(payer);
        var withdrawal = Ok(await Account(payer.Institution, payer.Account).Withdraw(UniqueName("withdraw"), denominationsMinor, payer.PublicJwkJson), $"withdraw for {payer}");
        return withdrawal.NoteJsons;
    }

    /// <summary>Opens a checkout of <paramref name="store"/> for <paramref name="totalMinor"/>, expiring after
    /// <paramref name="lifetime"/> (default 10 minutes).</summary>
    public async Task<GroupCheckout> OpenCheckout(StoreParty store, long totalMinor, TimeSpan? lifetime = null, string orderRef = "order-1")
    {
        ArgumentNullException.ThrowIfNull(store);
        var checkoutId = UniqueName("co");
        var grain = Grains.GetGrain<ICheckoutGrain>(GrainKeys.Checkout(store.Id, checkoutId));
        var expiresAt = Timestamps.Truncate(DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromMinutes(10)));
        var view = Ok(await grain.Open(orderRef, Currency, totalMinor, expiresAt, ItemsHash("3 coffees")), $"open checkout {checkoutId}");
        return new GroupCheckout(this, store, checkoutId, view);
    }

    public IAccountGrain Account(string institution, string account) => Grains.GetGrain<IAccountGrain>(GrainKeys.Account(institution, account));

    public IWalletGrain Wallet(PayerParty payer) => Grains.GetGrain<IWalletGrain>(payer?.Wallet ?? throw new ArgumentNullException(nameof(payer)));

    public INoteGrain Note(string noteJson)
    {
        var note = ParseNote(noteJson).Value;
        return Grains.GetGrain<INoteGrain>(GrainKeys.Note(note.Issuer, note.Serial));
    }

    public ISettlementGrain Settlement(string agreementId) => Grains.GetGrain<ISettlementGrain>(agreementId);

    public IBankAgreementGrain BankPart(string institution, string agreementId) =>
        Grains.GetGrain<IBankAgreementGrain>(GrainKeys.BankAgreement(institution, agreementId));

    /// <summary>The balance of an account, in minor units.</summary>
    public async Task<long> Balance(string institution, string account) =>
        (await Account(institution, account).Get() ?? throw new InvalidOperationException($"account {institution}/{account} does not exist.")).BalanceMinor;

    public static Parsed<Note> ParseNote(string noteJson) =>
        Protocol.Messages.Note.Parse(JsonNode.Parse(noteJson)).Value;

    public static Parsed<Agreement> ParseAgreement(string agreementJson) =>
        Agreement.Parse(JsonNode.Parse(agreementJson)).Value;

    /// <summary>The value of a successful reply; a refusal fails the test with its code and sentence.</summary>
    public static T Ok<T>(Reply<T> reply, string what)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply.IsOk
            ? reply.Value!
            : throw new InvalidOperationException($"{what} was refused: {reply.Refusal!.Code}: {reply.Refusal.Detail}");
    }

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds or <paramref name="timeout"/> passes
    /// (default 15 s); returns the last value read either way, so the caller's assertion says what was seen.</summary>
    public static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var value = await read().ConfigureAwait(false);
            if (done(value) || DateTime.UtcNow >= deadline)
            {
                return value;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var payer in _payers)
        {
            payer.Dispose();
        }
    }
}
