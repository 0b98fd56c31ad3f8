using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Benchmarks;

/// <summary>
/// One default group checkout's signed objects as a bank receives them at S8, made with real keys: 3 payers at one
/// bank, each with one note issued by that bank, the agreement, each payer's acceptance (agreement info), request,
/// the store's challenge and the payer's response, all as JSON texts.
/// </summary>
public sealed class SampleBundle : IDisposable
{
    public const string Bank = "bank-a";
    public const string Store = "cafe";

    private readonly List<LocalSigner> _keys = [];

    private SampleBundle()
    {
    }

    public LocalSigner BankKey { get; private set; } = null!;

    public LocalSigner StoreKey { get; private set; } = null!;

    public string AgreementJson { get; private set; } = "";

    public List<PayerTexts> Payers { get; } = [];

    public DateTimeOffset Now { get; } = DateTimeOffset.UtcNow;

    /// <summary>One payer's texts: agreement info, request, note, challenge, response.</summary>
    public sealed record PayerTexts(string Wallet, string AgreementInfoJson, string RequestJson, string NoteJson, string ChallengeJson, string ResponseJson);

    public static async Task<SampleBundle> CreateAsync()
    {
        var bundle = new SampleBundle();
        bundle.BankKey = bundle.Key();
        bundle.StoreKey = bundle.Key();
        var payerKeys = Enumerable.Range(0, 3).Select(_ => bundle.Key()).ToList();
        var shares = new long[] { 3_000, 4_000, 5_000 };
        var eur = Currency.Parse("EUR").Value;
        var participants = payerKeys.Select((k, i) => new Participant(k.PublicKey.Thumbprint, k.PublicKey, Bank, Money.Create(eur, shares[i]).Value)).ToList();
        var agreement = new Agreement(Store, "order-1", Money.Create(eur, shares.Sum()).Value, new Payee("bank-s", "cafe-till"), participants,
            participants[0].Wallet, Timestamps.Truncate(bundle.Now.AddMinutes(10)), Sha256Id.Of("3 coffees"u8.ToArray()));
        var agreementJson = agreement.ToContent();
        var parsed = Agreement.Parse(agreementJson).Value;
        bundle.AgreementJson = agreementJson.ToJsonString();

        for (var i = 0; i < payerKeys.Count; i++)
        {
            var key = payerKeys[i];
            var wallet = key.PublicKey.Thumbprint;
            var serial = Base64Url.Encode(Guid.NewGuid().ToByteArray());
            var note = new Note(serial, Bank, bundle.BankKey.PublicKey.Thumbprint, Money.Create(eur, shares[i] + 500).Value, wallet,
                Timestamps.Truncate(bundle.Now.AddMinutes(-1)), Timestamps.Truncate(bundle.Now.AddDays(30)));
            var noteJson = await Sign(note.ToContent(), Purposes.Note, bundle.BankKey).ConfigureAwait(false);
            var acceptance = await Sign(new Acceptance(parsed.Id, wallet).ToContent(), Purposes.Acceptance, key).ConfigureAwait(false);
            var info = new JsonObject { ["agreement"] = agreementJson.DeepClone(), ["acceptance"] = acceptance };
            var request = new RequestInfo(parsed.Id, wallet, Bank, [serial], Money.Create(eur, shares[i]).Value, parsed.Value.Payee, wallet);
            var requestJson = await Sign(request.ToContent(), Purposes.Request, key).ConfigureAwait(false);
            var nonce = Base64Url.Encode(Guid.NewGuid().ToByteArray());
            var challenge = new Challenge(parsed.Id, wallet, Store, nonce, Timestamps.Truncate(bundle.Now), Timestamps.Truncate(bundle.Now.AddMinutes(2)), bundle.StoreKey.PublicKey.Thumbprint);
            var challengeJson = await Sign(challenge.ToContent(), Purposes.Challenge, bundle.StoreKey).ConfigureAwait(false);
            var challengeId = Challenge.Parse(challengeJson).Value.Id;
            var response = new Response(parsed.Id, wallet, challengeId, nonce, [serial]);
            var responseJson = await Sign(response.ToContent(), Purposes.Response, key).ConfigureAwait(false);
            bundle.Payers.Add(new PayerTexts(wallet, info.ToJsonString(), requestJson.ToJsonString(), noteJson.ToJsonString(), challengeJson.ToJsonString(), responseJson.ToJsonString()));
        }

        return bundle;
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }

    private LocalSigner Key()
    {
        var key = LocalSigner.Generate();
        _keys.Add(key);
        return key;
    }

    private static async Task<JsonObject> Sign(JsonObject content, string purpose, LocalSigner key)
    {
        var signed = await SignedObject.SignAsync(content, purpose, key).ConfigureAwait(false);
        return signed.IsOk ? signed.Value : throw new InvalidOperationException(signed.Error.ToString());
    }
}
