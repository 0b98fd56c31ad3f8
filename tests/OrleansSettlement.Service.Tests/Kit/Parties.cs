using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Service.Tests.Kit;

/// <summary>A store as the kit created it: its name and the account it is paid into.</summary>
public sealed record StoreParty(string Id, string Institution, string Account);

/// <summary>
/// A payer as its wallet app sees itself: a private key that never leaves the test (the service only ever sees the
/// public JWK and signatures), its wallet id (the key's thumbprint), its bank and its account there.
/// </summary>
public sealed class PayerParty : IDisposable
{
    public PayerParty(string name, LocalSigner key, string institution, string account)
    {
        Name = name;
        Key = key;
        Institution = institution;
        Account = account;
    }

    /// <summary>A label for assertion messages only.</summary>
    public string Name { get; }

    public LocalSigner Key { get; }

    public string Wallet => Key.PublicKey.Thumbprint;

    public string PublicJwkJson => Key.PublicKey.ToJson().ToJsonString();

    public string Institution { get; }

    public string Account { get; }

    /// <summary>Signs <paramref name="content"/> for <paramref name="purpose"/> with this payer's key (or another, to forge).</summary>
    public async Task<JsonObject> Sign(JsonObject content, string purpose, LocalSigner? signer = null)
    {
        var signed = await SignedObject.SignAsync(content, purpose, signer ?? Key).ConfigureAwait(false);
        return signed.IsOk ? signed.Value : throw new InvalidOperationException($"signing failed: {signed.Error}");
    }

    public override string ToString() => $"{Name} ({Wallet[..8]} at {Institution})";

    public void Dispose() => Key.Dispose();
}
