using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Protocol.Signing;
using AgreementMessage = OrleansSettlement.Protocol.Messages.Agreement;
using NoteMessage = OrleansSettlement.Protocol.Messages.Note;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>Builds institutions, accounts and notes through the bank grains, with fresh names for every test.</summary>
internal sealed class BankingKit(IClusterClient grains)
{
    public const string Currency = "EUR";

    public IClusterClient Grains { get; } = grains;

    /// <summary>A fresh name (a-z, 0-9, '-'), so tests sharing the silo never meet.</summary>
    public static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 17)];

    public static string NewTokenHash() => Sha256Id.Of(Guid.NewGuid().ToByteArray());

    public static string NewOperationId() => "op-" + Guid.NewGuid().ToString("N");

    public static DateTimeOffset Now() => Timestamps.Truncate(DateTimeOffset.UtcNow);

    public static string JwkJson(LocalSigner key) => key.PublicKey.ToJson().ToJsonString();

    public static NoteMessage ParseNote(string json) => NoteMessage.Parse(JsonNode.Parse(json)).Value.Value;

    public static async Task<string> SignAsync(JsonObject content, string purpose, ISigner signer) =>
        Jcs.CanonicalizeToString((await SignedObject.SignAsync(content, purpose, signer)).Value);

    public async Task<string> InstitutionAsync(string prefix = "bank")
    {
        var name = NewName(prefix);
        var created = await Grains.GetGrain<IInstitutionGrain>(name).Create("Bank " + name, NewTokenHash());
        Assert.True(created.IsOk, created.Refusal?.ToString());
        return name;
    }

    public IAccountGrain Account(string bank, string account) => Grains.GetGrain<IAccountGrain>(GrainKeys.Account(bank, account));

    public INoteGrain Note(string bank, string serial) => Grains.GetGrain<INoteGrain>(GrainKeys.Note(bank, serial));

    /// <summary>Opens a wallet's account at <paramref name="bank"/>, deposits <paramref name="depositMinor"/> and
    /// withdraws notes of <paramref name="denominations"/>; returns the account name and the notes.</summary>
    public async Task<(string Account, IReadOnlyList<string> Notes)> FundAsync(string bank, LocalSigner wallet, long depositMinor, params long[] denominations)
    {
        var account = NewName("acct");
        var opened = await Account(bank, account).Open(OwnerKind.Wallet, wallet.PublicKey.Thumbprint, Currency);
        Assert.True(opened.IsOk, opened.Refusal?.ToString());
        var deposited = await Account(bank, account).Deposit(NewOperationId(), depositMinor);
        Assert.True(deposited.IsOk, deposited.Refusal?.ToString());
        if (denominations.Length == 0)
        {
            return (account, []);
        }

        var withdrawn = await Account(bank, account).Withdraw(NewOperationId(), denominations, JwkJson(wallet));
        Assert.True(withdrawn.IsOk, withdrawn.Refusal?.ToString());
        return (account, withdrawn.Value!.NoteJsons);
    }

    /// <summary>A note signed with the bank's real note key but with content the bank would never issue (for example
    /// already expired), recorded at its note grain so that only S8's checks can stop it.</summary>
    public async Task<string> IssueOddNoteAsync(string bank, string holder, long amountMinor, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        var material = await Grains.GetGrain<IInstitutionKeysGrain>(bank).GetKeyMaterial();
        var key = material!.NoteKeys.Single(k => k.Status == KeyStatus.Active);
        using var signer = LocalSigner.FromPrivateJwk(key.PrivateJwkJson).Value;
        var note = new NoteMessage(BinaryIds.NewRandom(), bank, key.Kid, Money.Create(Currency, amountMinor).Value, holder, issuedAt, expiresAt);
        var json = await SignAsync(note.ToContent(), Purposes.Note, signer);
        var issued = await Note(bank, note.Serial).Issue(json);
        Assert.True(issued.IsOk, issued.Refusal?.ToString());
        return json;
    }

    /// <summary>Polls until <paramref name="condition"/> holds (one-way calls land a moment later).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int timeoutMs = 15000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(25);
        }
    }
}

/// <summary>A payer: its key, its bank, its share and the notes it will present.</summary>
internal sealed class Payer(string name, LocalSigner key, string bank, long shareMinor)
{
    public string Name { get; } = name;

    public LocalSigner Key { get; } = key;

    public string Bank { get; } = bank;

    public long ShareMinor { get; } = shareMinor;

    public string Wallet => Key.PublicKey.Thumbprint;

    public string Account { get; set; } = "";

    public IReadOnlyList<string> Notes { get; set; } = [];
}

/// <summary>
/// One group payment, built for real through the bank grains: alice (share 700, one note of 1000: change 300) and carol
/// (share 500, notes 200 + 300) at bank A, bob (share 500, one note of 500) at bank B, paying a store whose settlement
/// account is at bank C. Every message is signed for real; a test breaks exactly one thing.
/// </summary>
internal sealed class GroupPayment : IDisposable
{
    private GroupPayment(BankingKit kit, string bankA, string bankB, string bankC, string store, LocalSigner storeKey)
    {
        Kit = kit;
        BankA = bankA;
        BankB = bankB;
        BankC = bankC;
        Store = store;
        StoreKey = storeKey;
        StoreAccount = BankingKit.NewName("till");
        Alice = new Payer("alice", LocalSigner.Generate(), bankA, 700);
        Carol = new Payer("carol", LocalSigner.Generate(), bankA, 500);
        Bob = new Payer("bob", LocalSigner.Generate(), bankB, 500);
    }

    public BankingKit Kit { get; }

    public string BankA { get; }

    public string BankB { get; }

    public string BankC { get; }

    public string Store { get; }

    public string StoreAccount { get; }

    public LocalSigner StoreKey { get; }

    public Payer Alice { get; }

    public Payer Carol { get; }

    public Payer Bob { get; }

    public IReadOnlyList<Payer> Payers => [Alice, Carol, Bob];

    public IReadOnlyList<string> Institutions => new[] { BankA, BankB, BankC }.Order(StringComparer.Ordinal).ToList();

    public long TotalMinor => Payers.Sum(p => p.ShareMinor);

    public Parsed<AgreementMessage> Agreement { get; private set; } = null!;

    public string AgreementId => Agreement.Id;

    public string AgreementJson => Agreement.ToCanonicalString();

    public static async Task<GroupPayment> CreateAsync(BankingKit kit, bool storeOwnsPayeeAccount = true)
    {
        var payment = new GroupPayment(kit, await kit.InstitutionAsync("bank-a"), await kit.InstitutionAsync("bank-b"), await kit.InstitutionAsync("bank-c"), BankingKit.NewName("cafe"), LocalSigner.Generate());
        var owner = storeOwnsPayeeAccount ? payment.Store : BankingKit.NewName("other");
        var till = await kit.Account(payment.BankC, payment.StoreAccount).Open(OwnerKind.Store, owner, BankingKit.Currency);
        Assert.True(till.IsOk, till.Refusal?.ToString());
        var storeKey = payment.StoreKey.PublicKey;
        await kit.Grains.GetGrain<IBankingTestStore>(payment.Store).SetProfile(new StoreProfile(
            payment.Store, "Cafe", payment.BankC, payment.StoreAccount, new PublishedKey(storeKey.Thumbprint, storeKey.ToJson().ToJsonString(), KeyStatus.Active), DateTimeOffset.UtcNow));

        (payment.Alice.Account, payment.Alice.Notes) = await kit.FundAsync(payment.BankA, payment.Alice.Key, 5000, 1000);
        (payment.Carol.Account, payment.Carol.Notes) = await kit.FundAsync(payment.BankA, payment.Carol.Key, 5000, 200, 300);
        (payment.Bob.Account, payment.Bob.Notes) = await kit.FundAsync(payment.BankB, payment.Bob.Key, 5000, 500);

        var participants = payment.Payers
            .Select(p => new Participant(p.Wallet, p.Key.PublicKey, p.Bank, Money.Create(BankingKit.Currency, p.ShareMinor).Value))
            .ToList();
        var agreement = new AgreementMessage(
            payment.Store,
            "order-" + Guid.NewGuid().ToString("N")[..8],
            Money.Create(BankingKit.Currency, payment.TotalMinor).Value,
            new Payee(payment.BankC, payment.StoreAccount),
            participants,
            payment.Alice.Wallet,
            BankingKit.Now().AddMinutes(10),
            Sha256Id.Of("two coffees and a cake"u8));
        payment.Agreement = AgreementMessage.Parse(JsonNode.Parse(agreement.ToContent().ToJsonString())).Value;
        return payment;
    }

    /// <summary>The S7 package for every institution: each payer's notes, request, challenge and response.</summary>
    public async Task<VerifyRequest> RequestAsync(Func<Payer, Task<PayerPackage>>? packageOf = null)
    {
        var packages = new List<PayerPackage>();
        foreach (var payer in Payers)
        {
            packages.Add(packageOf is null ? await PackageAsync(payer) : await packageOf(payer));
        }

        return new VerifyRequest(AgreementId, AgreementJson, Store, packages, Institutions);
    }

    /// <summary>A payer's package, honest unless told otherwise: other notes, or a challenge signed by another key.</summary>
    public async Task<PayerPackage> PackageAsync(Payer payer, IReadOnlyList<string>? noteJsons = null, LocalSigner? challengeSigner = null)
    {
        noteJsons ??= payer.Notes;
        var serials = noteJsons.Select(n => BankingKit.ParseNote(n).Serial).ToList();
        var request = new RequestInfo(AgreementId, payer.Wallet, payer.Bank, serials, Money.Create(BankingKit.Currency, payer.ShareMinor).Value, new Payee(BankC, StoreAccount), payer.Wallet);
        var requestJson = await BankingKit.SignAsync(request.ToContent(), Purposes.Request, payer.Key);
        var signer = challengeSigner ?? StoreKey;
        var now = BankingKit.Now();
        var challenge = new Challenge(AgreementId, payer.Wallet, Store, BinaryIds.NewRandom(), now, now.AddMinutes(2), signer.PublicKey.Thumbprint);
        var challengeJson = await BankingKit.SignAsync(challenge.ToContent(), Purposes.Challenge, signer);
        var challengeId = Challenge.Parse(JsonNode.Parse(challengeJson)).Value.Id;
        var response = new Response(AgreementId, payer.Wallet, challengeId, challenge.Nonce, serials);
        var responseJson = await BankingKit.SignAsync(response.ToContent(), Purposes.Response, payer.Key);
        return new PayerPackage(payer.Wallet, payer.Bank, noteJsons, requestJson, challengeJson, responseJson);
    }

    public IBankAgreementGrain Part(string bank) => Kit.Grains.GetGrain<IBankAgreementGrain>(GrainKeys.BankAgreement(bank, AgreementId));

    public IBankingTestSettlement Settlement => Kit.Grains.GetGrain<IBankingTestSettlement>(AgreementId);

    /// <summary>Sends the package to <paramref name="bank"/> (one-way) and waits for its vote.</summary>
    public async Task<BankPartView> VerifyAsync(string bank, VerifyRequest request)
    {
        await Part(bank).Verify(request);
        BankPartView? view = null;
        await BankingKit.EventuallyAsync(async () => (view = await Part(bank).Get()).ResultJson is not null, $"the vote of {bank}");
        return view!;
    }

    /// <summary>S8 at every bank, all valid: returns the COMMIT that carries the three signed results.</summary>
    public async Task<SettlementDecision> VerifyAllAndCommitAsync()
    {
        var request = await RequestAsync();
        var results = new List<string>();
        foreach (var bank in Institutions)
        {
            var view = await VerifyAsync(bank, request);
            Assert.Equal(BankPartStage.VotedValid, view.Stage);
            results.Add(view.ResultJson!);
        }

        return new SettlementDecision(AgreementId, DecisionKind.Commit, results, null, DateTimeOffset.UtcNow);
    }

    /// <summary>What the settlement grain does with a decision: persists it (the fake keeps it; a note held by this
    /// agreement reads it) and delivers it to every bank part.</summary>
    public async Task DecideAllAsync(SettlementDecision decision)
    {
        await Settlement.Persist(AgreementJson, decision);
        foreach (var bank in Institutions)
        {
            await Part(bank).Decide(decision);
        }
    }

    public async Task<NoteState?> NoteStateAsync(string bank, string noteJson) =>
        (await Kit.Note(bank, BankingKit.ParseNote(noteJson).Serial).Get())?.State;

    public void Dispose()
    {
        StoreKey.Dispose();
        foreach (var payer in Payers)
        {
            payer.Key.Dispose();
        }
    }
}
