using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Chaos.Scenarios;

/// <summary>A payer as its app sees itself: a key that never leaves the runner, its wallet id, bank, account and notes.</summary>
public sealed class ChaosPayer(string label, LocalSigner key, string institution, string account) : IDisposable
{
    public string Label { get; } = label;

    public LocalSigner Key { get; } = key;

    public string Wallet => Key.PublicKey.Thumbprint;

    public string PublicJwkJson => Key.PublicKey.ToJson().ToJsonString();

    public string Institution { get; } = institution;

    public string Account { get; } = account;

    /// <summary>The notes it withdrew (signed JSON texts).</summary>
    public IReadOnlyList<string> NoteJsons { get; set; } = [];

    public IReadOnlyList<string> Serials => [.. NoteJsons.Select(n => Note.Parse(JsonNode.Parse(n)).Value.Value.Serial)];

    /// <summary>Signs <paramref name="content"/> for <paramref name="purpose"/> with this payer's key (or <paramref name="signer"/>, to forge).</summary>
    public async Task<JsonObject> Sign(JsonObject content, string purpose, LocalSigner? signer = null)
    {
        var signed = await SignedObject.SignAsync(content, purpose, signer ?? Key).ConfigureAwait(false);
        return signed.IsOk ? signed.Value : throw new InvalidOperationException($"signing failed: {signed.Error}");
    }

    public override string ToString() => $"{Label} ({Wallet[..8]} at {Institution})";

    public void Dispose() => Key.Dispose();
}

/// <summary>The parties of one scenario, made through the grains as the API makes them (names under the scenario's prefix).</summary>
public sealed class ScenarioParties : IDisposable
{
    public const string Currency = "EUR";

    public required IReadOnlyList<string> Banks { get; init; }

    public required string Store { get; init; }

    public required string StoreInstitution { get; init; }

    public required string StoreAccount { get; init; }

    public required IReadOnlyList<ChaosPayer> Payers { get; init; }

    /// <summary>The payer who joins the adversary in a second checkout (a race or a double spend), or null.</summary>
    public ChaosPayer? Accomplice { get; private set; }

    public static string TokenHash(string name) => Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes("chaos-token:" + name));

    /// <summary>Makes the banks, the store and the payers (accounts, deposits, wallets, notes) of <paramref name="spec"/>;
    /// every call goes through <paramref name="calls"/> (retries with the same content and operation ids).</summary>
    public static async Task<ScenarioParties> CreateAsync(ScenarioSpec spec, ClientCalls calls, IGrainFactory grains, Action<string> registerWallet)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(registerWallet);
        var banks = Enumerable.Range(0, spec.Banks).Select(b => $"{spec.Prefix}b{b}").ToList();
        foreach (var bank in banks)
        {
            await calls.Ok(() => grains.GetGrain<IInstitutionGrain>(bank).Create($"Bank {bank}", TokenHash(bank)), $"create bank {bank}").ConfigureAwait(false);
        }

        var store = $"{spec.Prefix}store";
        var storeInstitution = banks[spec.StoreBank];
        var storeAccount = $"{spec.Prefix}till";
        await calls.Ok(() => Account(grains, storeInstitution, storeAccount).Open(OwnerKind.Store, store, Currency), "open the store's account").ConfigureAwait(false);
        await calls.Ok(() => grains.GetGrain<IStoreGrain>(store).Create($"Store {store}", storeInstitution, storeAccount, TokenHash(store)), "create the store").ConfigureAwait(false);

        var payers = new List<ChaosPayer>();
        var parties = new ScenarioParties { Banks = banks, Store = store, StoreInstitution = storeInstitution, StoreAccount = storeAccount, Payers = payers };
        try
        {
            var specs = spec.Accomplice is null ? spec.Payers : [.. spec.Payers, spec.Accomplice];
            for (var i = 0; i < specs.Count; i++)
            {
                var payerSpec = specs[i];
                var payer = new ChaosPayer($"p{i}", LocalSigner.Generate(), banks[payerSpec.Bank], $"{spec.Prefix}p{i}");
                if (i < spec.Payers.Count)
                {
                    payers.Add(payer);
                }
                else
                {
                    parties.Accomplice = payer;
                }

                registerWallet(payer.Wallet);
                var account = Account(grains, payer.Institution, payer.Account);
                await calls.Ok(() => account.Open(OwnerKind.Wallet, payer.Wallet, Currency), $"open the account of {payer}").ConfigureAwait(false);
                var deposit = payerSpec.NotesTotalMinor + 1_000;
                await calls.Ok(() => account.Deposit($"{spec.Prefix}dep{i}", deposit), $"deposit for {payer}").ConfigureAwait(false);
                await calls.Ok(() => grains.GetGrain<IWalletGrain>(payer.Wallet).Register(payer.PublicJwkJson, payer.Institution, payer.Account), $"register the wallet of {payer}").ConfigureAwait(false);
                var withdrawal = await calls.Ok(() => account.Withdraw($"{spec.Prefix}wd{i}", payerSpec.NotesMinor, payer.PublicJwkJson), $"withdraw for {payer}").ConfigureAwait(false);
                payer.NoteJsons = withdrawal.NoteJsons;
            }
        }
        catch
        {
            parties.Dispose();
            throw;
        }

        return parties;
    }

    public void Dispose()
    {
        foreach (var payer in Payers)
        {
            payer.Dispose();
        }

        Accomplice?.Dispose();
    }

    private static IAccountGrain Account(IGrainFactory grains, string institution, string account) =>
        grains.GetGrain<IAccountGrain>(GrainKeys.Account(institution, account));
}
