using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Protocol.Tests;

/// <summary>
/// Builds a complete, valid set of messages for one group checkout (three payers at two banks, a store at a
/// third), so each test can break exactly one thing. Every signature is real ES256.
/// </summary>
internal sealed class MessagesKit : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    public MessagesKit()
    {
        Payers = [LocalSigner.Generate(), LocalSigner.Generate(), LocalSigner.Generate()];
        Banks = new Dictionary<string, LocalSigner>(StringComparer.Ordinal)
        {
            ["bank-a"] = LocalSigner.Generate(),
            ["bank-b"] = LocalSigner.Generate(),
        };
        StoreKey = LocalSigner.Generate();
    }

    public LocalSigner[] Payers { get; }

    public Dictionary<string, LocalSigner> Banks { get; }

    public LocalSigner StoreKey { get; }

    public static string[] PayerBanks { get; } = ["bank-a", "bank-b", "bank-a"];

    public static long[] Shares { get; } = [4000, 3000, 5000];

    public string Wallet(int i) => Payers[i].PublicKey.Thumbprint;

    public Agreement Agreement(Func<Agreement, Agreement>? change = null)
    {
        var participants = Enumerable.Range(0, 3)
            .Select(i => new Participant(Wallet(i), Payers[i].PublicKey, PayerBanks[i], Money.Create("EUR", Shares[i]).Value))
            .ToList();
        var agreement = new Agreement(
            "store-1",
            "order-42",
            Money.Create("EUR", Shares.Sum()).Value,
            new Payee("bank-c", "store-1-settlement"),
            participants,
            Wallet(0),
            Now.AddMinutes(10),
            Encoding.Sha256Id.Of("3 coffees"u8));
        return change is null ? agreement : change(agreement);
    }

    public Parsed<Agreement> ParsedAgreement(Agreement? agreement = null) =>
        Messages.Agreement.Parse(JsonNode.Parse((agreement ?? Agreement()).ToContent().ToJsonString())).Value;

    public static async Task<JsonObject> Sign(JsonObject content, string purpose, LocalSigner signer) =>
        (await SignedObject.SignAsync(content, purpose, signer)).Value;

    public async Task<AgreementInfo> Info(int payer, Parsed<Agreement>? agreement = null)
    {
        agreement ??= ParsedAgreement();
        var acceptance = await Sign(new Acceptance(agreement.Id, Wallet(payer)).ToContent(), Purposes.Acceptance, Payers[payer]);
        return new AgreementInfo(agreement, Acceptance.Parse(acceptance).Value);
    }

    public async Task<Parsed<Note>> Note(int payer, long amountMinor, string? issuer = null, DateTimeOffset? expiresAt = null)
    {
        issuer ??= PayerBanks[payer];
        var key = Banks[issuer];
        var note = new Note(BinaryIds.NewRandom(), issuer, key.PublicKey.Thumbprint, Money.Create("EUR", amountMinor).Value, Wallet(payer), Now.AddDays(-1), expiresAt ?? Now.AddDays(30));
        return Messages.Note.Parse(await Sign(note.ToContent(), Purposes.Note, key)).Value;
    }

    public async Task<Parsed<RequestInfo>> Request(int payer, IReadOnlyList<Note> notes, Parsed<Agreement>? agreement = null, Func<RequestInfo, RequestInfo>? change = null)
    {
        agreement ??= ParsedAgreement();
        var request = new RequestInfo(agreement.Id, Wallet(payer), PayerBanks[payer], [.. notes.Select(n => n.Serial)], Money.Create("EUR", Shares[payer]).Value, new Payee("bank-c", "store-1-settlement"), Wallet(payer));
        request = change is null ? request : change(request);
        return RequestInfo.Parse(await Sign(request.ToContent(), Purposes.Request, Payers[payer])).Value;
    }

    public async Task<Parsed<Challenge>> Challenge(int payer, Parsed<Agreement>? agreement = null)
    {
        agreement ??= ParsedAgreement();
        var challenge = new Challenge(agreement.Id, Wallet(payer), "store-1", BinaryIds.NewRandom(), Now, Now.AddMinutes(2), StoreKey.PublicKey.Thumbprint);
        return Messages.Challenge.Parse(await Sign(challenge.ToContent(), Purposes.Challenge, StoreKey)).Value;
    }

    public async Task<Parsed<Response>> Respond(int payer, Parsed<Challenge> challenge, IReadOnlyList<string> notes, LocalSigner? signer = null)
    {
        var response = new Response(challenge.Value.AgreementId, Wallet(payer), challenge.Id, challenge.Value.Nonce, notes);
        return Response.Parse(await Sign(response.ToContent(), Purposes.Response, signer ?? Payers[payer])).Value;
    }

    public void Dispose()
    {
        foreach (var key in Payers.Concat(Banks.Values).Append(StoreKey))
        {
            key.Dispose();
        }
    }
}
