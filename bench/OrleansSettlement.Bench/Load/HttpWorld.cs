using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using OrleansSettlement.Bench.Hosting;
using OrleansSettlement.Bench.Measure;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Bench.Load;

/// <summary>
/// The HTTP path: the parties created through the API as partners create them with the SDK (the admin creates banks,
/// operators open accounts, deposit and create stores, wallets register and withdraw with their own keys), and each
/// checkout driven by the SDK exactly as in <c>tests/.../Costs/CostPerCheckoutTests.cs</c>: every request carries an
/// idempotency key and, for wallets, an RFC 9421 signature, so the API's idempotency records and signature checks are
/// part of the count. The apps' own signing is marked as app-side.
/// </summary>
internal sealed class HttpWorld(BenchApi api, BenchLayout layout, Action<string> prepareBank) : ILoadWorld
{
    private const string Currency = "EUR";
    private const int SetupParallelism = 16;

    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly List<(string Name, OperatorSession Operator)> _payerBanks = [];
    private readonly List<StoreSession> _stores = [];
    private readonly List<HttpPayer[]> _groups = [];
    private readonly List<LocalSigner> _keys = [];

    public BenchLayout Layout { get; } = layout;

    private SettlementClient Client => api.Client;

    public async Task CreateBanksAndStoresAsync()
    {
        for (var b = 0; b < Layout.Banks; b++)
        {
            _payerBanks.Add(await CreateBankAsync($"b{_run}-{b}").ConfigureAwait(false));
        }

        var storeBank = Layout.StoresAtPayerBanks ? ((string, OperatorSession)?)null : await CreateBankAsync($"b{_run}-s").ConfigureAwait(false);
        for (var s = 0; s < Layout.Stores; s++)
        {
            var name = $"s{_run}-{s}";
            var bank = storeBank ?? _payerBanks[s % _payerBanks.Count];
            var account = name + "-till";
            await bank.Item2.OpenAccountAsync(account, AccountOwnerKind.Store, name, Currency).ConfigureAwait(false);
            var token = BearerToken.Create();
            await bank.Item2.CreateStoreAsync(name, $"Store {name}", account, token).ConfigureAwait(false);
            _stores.Add(Client.Store(name, token.Token));
        }
    }

    public async Task PrepareAsync(int count)
    {
        var groups = Math.Max(1, (count + BenchWorld.NotesPerPayer - 1) / BenchWorld.NotesPerPayer);
        var made = new HttpPayer[groups][];
        await Parallel.ForEachAsync(Enumerable.Range(0, groups), new ParallelOptions { MaxDegreeOfParallelism = SetupParallelism }, async (g, _) =>
        {
            var group = new HttpPayer[Layout.Payers];
            for (var j = 0; j < Layout.Payers; j++)
            {
                var notes = (count / groups) + (g < count % groups ? 1 : 0);
                group[j] = await CreatePayerAsync(_payerBanks[(g + j) % _payerBanks.Count], BenchLayout.ShareOf(j) + BenchLayout.ChangeMinor, notes).ConfigureAwait(false);
            }

            made[g] = group;
        }).ConfigureAwait(false);
        _groups.Clear();
        _groups.AddRange(made);
    }

    public async Task<CheckoutSample> RunCheckoutAsync(int index, OutcomeSignal outcomes, TimeSpan outcomeTimeout)
    {
        var payers = _groups[index % _groups.Count];
        var store = _stores[index % _stores.Count];
        string? key = null;
        try
        {
            var notes = payers.Select(p => p.Notes.TryDequeue(out var n) ? n : throw new InvalidOperationException("a payer ran out of notes.")).ToArray();
            var leader = index / _groups.Count % payers.Length;
            var checkout = await store.OpenCheckoutAsync("order-" + index, Currency, Layout.TotalMinor, TimeSpan.FromMinutes(10), ItemsHash).ConfigureAwait(false);
            key = GrainKeys.Checkout(store.Store, checkout.CheckoutId);
            var ended = outcomes.WhenEnded(key);
            var participants = payers.Select((p, j) => new Sdk.ProposedParticipant(p.Key.PublicKey.ToJson(), p.Institution, BenchLayout.ShareOf(j))).ToList();
            var proposed = await AppSide.RunAsync(() => payers[leader].Wallet.ProposeAgreementAsync(store.Store, checkout.CheckoutId, participants)).ConfigureAwait(false);
            var agreement = proposed.Agreement ?? throw new InvalidOperationException("the proposal returned no agreement.");

            // S1: the other payers' apps send their contributions to the leader's mailbox.
            await Task.WhenAll(Enumerable.Range(0, payers.Length).Where(j => j != leader).Select(async j =>
            {
                var contribution = await AppSide.RunAsync(() => payers[j].Wallet.ContributionAsync(agreement, [notes[j]])).ConfigureAwait(false);
                await AppSide.RunAsync(() => payers[j].Wallet.SendContributionAsync(payers[leader].Wallet.WalletId, contribution)).ConfigureAwait(false);
            })).ConfigureAwait(false);

            // S2: the leader's app reads its mailbox and submits the bundle with its own contribution.
            var agreementId = Protocol.Messages.Agreement.Parse(agreement).Value.Id;
            var received = await AppSide.RunAsync(() => payers[leader].Wallet.GetContributionsAsync(agreementId)).ConfigureAwait(false);
            var own = await AppSide.RunAsync(() => payers[leader].Wallet.ContributionAsync(agreement, [notes[leader]])).ConfigureAwait(false);
            var submitted = Stopwatch.GetTimestamp();
            await AppSide.RunAsync(() => payers[leader].Wallet.SubmitBundleAsync(store.Store, checkout.CheckoutId, [.. received.Contributions.Where(c => c.Wallet != payers[leader].Wallet.WalletId), own])).ConfigureAwait(false);

            // S4, S5: every payer's app reads its challenge and answers at once.
            await Task.WhenAll(payers.Select(async (payer, j) =>
            {
                var challenges = await AppSide.RunAsync(() => payer.Wallet.GetChallengesAsync()).ConfigureAwait(false);
                var challenge = challenges.Challenges.FirstOrDefault(c => c.CheckoutId == checkout.CheckoutId && c.Store == store.Store)
                    ?? throw new InvalidOperationException("S4: no challenge reached a payer's mailbox.");
                await AppSide.RunAsync(() => payer.Wallet.AnswerChallengeAsync(challenge, [notes[j]])).ConfigureAwait(false);
            })).ConfigureAwait(false);

            var end = await ended.WaitAsync(outcomeTimeout).ConfigureAwait(false);
            var now = Stopwatch.GetTimestamp();
            return new CheckoutSample(index, end, Stopwatch.GetElapsedTime(submitted, now).TotalMilliseconds, null, now);
        }
        catch (TimeoutException)
        {
            return new CheckoutSample(index, null, 0, $"no outcome within {outcomeTimeout.TotalSeconds} s", Stopwatch.GetTimestamp());
        }
        catch (Exception failure) when (failure is InvalidOperationException or SettlementApiException or HttpRequestException or TaskCanceledException)
        {
            return new CheckoutSample(index, null, 0, failure.Message, Stopwatch.GetTimestamp());
        }
        finally
        {
            if (key is not null)
            {
                outcomes.Forget(key);
            }
        }
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }

    private static string ItemsHash { get; } = Protocol.Encoding.Sha256Id.Of("bench items"u8.ToArray());

    private async Task<(string, OperatorSession)> CreateBankAsync(string name)
    {
        var token = BearerToken.Create();
        prepareBank(name);
        await Client.Admin(api.AdminToken.Token).CreateInstitutionAsync(name, $"Bank {name}", token).ConfigureAwait(false);
        return (name, Client.Operator(name, token.Token));
    }

    private async Task<HttpPayer> CreatePayerAsync((string Name, OperatorSession Operator) bank, long noteMinor, int notes)
    {
        var key = LocalSigner.Generate();
        lock (_keys)
        {
            _keys.Add(key);
        }

        var wallet = Client.Wallet(key);
        var account = "p" + Guid.NewGuid().ToString("N")[..20];
        await bank.Operator.OpenAccountAsync(account, AccountOwnerKind.Wallet, wallet.WalletId, Currency).ConfigureAwait(false);
        await bank.Operator.DepositAsync(account, noteMinor * Math.Max(1, notes)).ConfigureAwait(false);
        await wallet.RegisterAsync(bank.Name, account).ConfigureAwait(false);
        var payer = new HttpPayer(key, wallet, bank.Name);
        if (notes > 0)
        {
            foreach (var note in (await wallet.WithdrawAsync(Enumerable.Repeat(noteMinor, notes)).ConfigureAwait(false)).Notes)
            {
                payer.Notes.Enqueue(note);
            }
        }

        return payer;
    }

    private sealed record HttpPayer(LocalSigner Key, WalletSession Wallet, string Institution)
    {
        public ConcurrentQueue<JsonObject> Notes { get; } = new();
    }
}
