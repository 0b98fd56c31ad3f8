using System.Collections.Concurrent;
using System.Globalization;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Bench.Load;

/// <summary>A store as created: its name, bank and settlement account.</summary>
internal sealed record BenchStore(string Id, string Institution, string Account);

/// <summary>A simulated payer app: its own key (never sent), wallet id, bank, account, and the notes it was issued and has not spent.</summary>
internal sealed class BenchPayer(LocalSigner key, string institution, string account) : IDisposable
{
    public LocalSigner Key { get; } = key;

    public string Wallet => Key.PublicKey.Thumbprint;

    public string PublicJwkJson => Key.PublicKey.ToJson().ToJsonString();

    public string Institution { get; } = institution;

    public string Account { get; } = account;

    public ConcurrentQueue<string> Notes { get; } = new();

    public void Dispose() => Key.Dispose();
}

/// <summary>
/// The parties of one bench configuration, created through the grains as the API would (banks, store accounts and
/// stores, payer accounts with deposits, registered wallets) and the notes each checkout will spend, withdrawn before
/// the measured phase. Payers come in groups of <see cref="BenchLayout.Payers"/>; checkout i uses group i mod G, and
/// each payer holds at most <see cref="NotesPerPayer"/> notes, so wallets stay as small as a real one's.
/// </summary>
internal sealed class BenchWorld : ILoadWorld
{
    /// <summary>At most this many notes are withdrawn per payer (a wallet with hundreds of notes has a large state).</summary>
    public const int NotesPerPayer = 8;

    private const string Currency = "EUR";
    private const int SetupParallelism = 24;

    private readonly IGrainFactory _grains;
    private readonly Action<string> _prepareBank;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly List<BenchPayer[]> _groups = [];
    private readonly List<BenchPayer> _everyPayer = [];
    private int _generation;
    private readonly List<string> _payerBanks = [];
    private readonly List<BenchStore> _stores = [];

    public BenchWorld(IGrainFactory grains, BenchLayout layout, Action<string> prepareBank)
    {
        _grains = grains;
        Layout = layout;
        _prepareBank = prepareBank;
    }

    public BenchLayout Layout { get; }

    public IReadOnlyList<BenchStore> Stores => _stores;

    public int Groups => _groups.Count;

    public IGrainFactory Grains => _grains;

    /// <summary>Creates the banks and stores.</summary>
    public async Task CreateBanksAndStoresAsync()
    {
        for (var b = 0; b < Layout.Banks; b++)
        {
            _payerBanks.Add(await CreateBankAsync($"b{_run}-{b}").ConfigureAwait(false));
        }

        var storeBank = Layout.StoresAtPayerBanks ? null : await CreateBankAsync($"b{_run}-s").ConfigureAwait(false);
        for (var s = 0; s < Layout.Stores; s++)
        {
            var name = $"s{_run}-{s}";
            var bank = storeBank ?? _payerBanks[s % _payerBanks.Count];
            var account = name + "-till";
            Ok(await _grains.GetGrain<IAccountGrain>(GrainKeys.Account(bank, account)).Open(OwnerKind.Store, name, Currency).ConfigureAwait(false), $"open account {account}");
            Ok(await _grains.GetGrain<IStoreGrain>(name).Create($"Store {name}", bank, account, NewTokenHash()).ConfigureAwait(false), $"create store {name}");
            _stores.Add(new BenchStore(name, bank, account));
        }
    }

    /// <summary>
    /// Makes the payers of the next <paramref name="count"/> checkouts (0 .. count - 1): fresh payer groups, each serving up
    /// to <see cref="NotesPerPayer"/> checkouts, with their notes withdrawn.
    /// </summary>
    public Task PrepareAsync(int count) => PrepareAsync(count, CancellationToken.None);

    /// <summary>As <see cref="PrepareAsync(int)"/>; an interrupt (<paramref name="ct"/>) stops it between payers.</summary>
    public async Task PrepareAsync(int count, CancellationToken ct)
    {
        var groups = Math.Max(1, (count + NotesPerPayer - 1) / NotesPerPayer);
        _groups.Clear();
        _generation++;
        var made = new BenchPayer[groups][];
        await Parallel.ForEachAsync(Enumerable.Range(0, groups), new ParallelOptions { MaxDegreeOfParallelism = SetupParallelism, CancellationToken = ct }, async (g, token) =>
        {
            var group = new BenchPayer[Layout.Payers];
            for (var j = 0; j < Layout.Payers; j++)
            {
                token.ThrowIfCancellationRequested();
                var notes = (count / groups) + (g < count % groups ? 1 : 0);
                group[j] = await CreatePayerAsync(_payerBanks[(g + j) % _payerBanks.Count], BenchLayout.ShareOf(j) + BenchLayout.ChangeMinor, notes, token).ConfigureAwait(false);
            }

            made[g] = group;
        }).ConfigureAwait(false);
        _groups.AddRange(made);
        _everyPayer.AddRange(made.SelectMany(g => g));
    }

    /// <summary>Issues <paramref name="count"/> notes at the first payer bank to holders that keep them (a wallet holds at
    /// most 256 notes), in withdrawals of 16: the bounded-state mode's many notes at one bank.</summary>
    public async Task IssueHeldNotesAsync(int count, CancellationToken ct)
    {
        // Small batches and few at once: a withdrawal issues its notes one grain write each, inside one call that must
        // answer within Orleans' response timeout even on a loaded machine.
        const int perWithdrawal = 16;
        const int perHolder = 256;
        var holders = (count + perHolder - 1) / perHolder;
        await Parallel.ForEachAsync(Enumerable.Range(0, holders), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (h, token) =>
        {
            var notes = Math.Min(perHolder, count - (h * perHolder));
            var holder = await CreatePayerAsync(_payerBanks[0], 100, 0, token).ConfigureAwait(false);
            var account = _grains.GetGrain<IAccountGrain>(GrainKeys.Account(holder.Institution, holder.Account));
            Ok(await account.Deposit("d" + Guid.NewGuid().ToString("N"), 100L * notes).WaitAsync(token).ConfigureAwait(false), "deposit");
            for (var issued = 0; issued < notes; issued += perWithdrawal)
            {
                token.ThrowIfCancellationRequested();
                var batch = Math.Min(perWithdrawal, notes - issued);
                Ok(await account.Withdraw("w" + Guid.NewGuid().ToString("N"), Enumerable.Repeat(100L, batch).ToList(), holder.PublicJwkJson).WaitAsync(token).ConfigureAwait(false), "withdraw held notes");
            }

            lock (_everyPayer)
            {
                _everyPayer.Add(holder);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>The payers of checkout <paramref name="index"/>, or null when their notes are used up.</summary>
    public BenchPayer[]? GroupOf(int index) => _groups.Count == 0 ? null : _groups[index % _groups.Count];

    public BenchStore StoreOf(int index) => _stores[index % _stores.Count];

    public void Dispose()
    {
        foreach (var payer in _everyPayer)
        {
            payer.Dispose();
        }
    }

    public static string NewTokenHash() => Sha256Id.Of(Guid.NewGuid().ToByteArray());

    public static T Ok<T>(Reply<T> reply, string what)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply.IsOk ? reply.Value! : throw new BenchSetupException($"{what} was refused: {reply.Refusal!.Code}: {reply.Refusal.Detail}");
    }

    private async Task<string> CreateBankAsync(string name)
    {
        _prepareBank(name);
        Ok(await _grains.GetGrain<IInstitutionGrain>(name).Create($"Bank {name}", NewTokenHash()).ConfigureAwait(false), $"create bank {name}");
        return name;
    }

    /// <summary>A payer with its account, deposit, wallet and notes. An interrupt (<paramref name="ct"/>) abandons the call
    /// under way rather than wait for its answer (after a terminal's Ctrl-C, Azurite may be gone already).</summary>
    private async Task<BenchPayer> CreatePayerAsync(string bank, long noteMinor, int notes, CancellationToken ct)
    {
        var payer = new BenchPayer(LocalSigner.Generate(), bank, "p" + Guid.NewGuid().ToString("N")[..20]);
        var account = _grains.GetGrain<IAccountGrain>(GrainKeys.Account(bank, payer.Account));
        Ok(await account.Open(OwnerKind.Wallet, payer.Wallet, Currency).WaitAsync(ct).ConfigureAwait(false), "open a payer account");
        if (notes > 0)
        {
            Ok(await account.Deposit("d" + Guid.NewGuid().ToString("N"), noteMinor * notes).WaitAsync(ct).ConfigureAwait(false), "deposit");
        }

        Ok(await _grains.GetGrain<IWalletGrain>(payer.Wallet).Register(payer.PublicJwkJson, bank, payer.Account).WaitAsync(ct).ConfigureAwait(false), "register a wallet");
        if (notes > 0)
        {
            var withdrawal = Ok(await account.Withdraw("w" + Guid.NewGuid().ToString("N"), Enumerable.Repeat(noteMinor, notes).ToList(), payer.PublicJwkJson).WaitAsync(ct).ConfigureAwait(false), "withdraw notes");
            foreach (var note in withdrawal.NoteJsons)
            {
                payer.Notes.Enqueue(note);
            }
        }

        return payer;
    }

    public Task<CheckoutSample> RunCheckoutAsync(int index, Hosting.OutcomeSignal outcomes, TimeSpan outcomeTimeout) =>
        new CheckoutDriver(this, outcomes, outcomeTimeout).RunAsync(index);

    public string NewCheckoutId(int index) => string.Create(CultureInfo.InvariantCulture, $"k{_run}-{_generation}-{index}");
}
