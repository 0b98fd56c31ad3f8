using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>What the store signs for one payer at S4; the store name and key id are the signer's own.</summary>
[GenerateSerializer, Immutable, Alias("osettle.ChallengeToSign")]
public sealed record ChallengeToSign(
    [property: Id(0)] string AgreementId,
    [property: Id(1)] string Wallet,
    [property: Id(2)] string Nonce,
    [property: Id(3)] DateTimeOffset IssuedAt,
    [property: Id(4)] DateTimeOffset ExpiresAt);

/// <summary>Signs a store's challenges with its challenge key. Key: the store name.</summary>
[Alias("osettle.IStoreChallengeSignerGrain")]
public interface IStoreChallengeSignerGrain : IGrainWithStringKey
{
    /// <summary>The signed challenges (JSON texts), in the order given; <c>unknown_store</c> when the store does not exist.</summary>
    [Alias("Sign")]
    Task<Reply<IReadOnlyList<string>>> Sign(IReadOnlyList<ChallengeToSign> challenges);
}

/// <summary>
/// A stateless worker per store (several activations per silo, as load needs): it loads the store's challenge key
/// once per activation and signs, so signing never queues behind the store grain. See <see cref="StoreGrain"/> for
/// where the key lives.
/// </summary>
[StatelessWorker]
public sealed partial class StoreChallengeSignerGrain(ILogger<StoreChallengeSignerGrain> logger) : Grain, IStoreChallengeSignerGrain
{
    public const int MaxChallenges = Agreement.MaxParticipants;

    private LocalSigner? _signer;

    private string StoreId => this.GetPrimaryKeyString();

    public async Task<Reply<IReadOnlyList<string>>> Sign(IReadOnlyList<ChallengeToSign> challenges)
    {
        ArgumentNullException.ThrowIfNull(challenges);
        if (challenges.Count is 0 or > MaxChallenges)
        {
            return Reply<IReadOnlyList<string>>.Fail(ProtocolErrorCode.InvalidField, $"between 1 and {MaxChallenges} challenges are signed at once.");
        }

        var signer = await GetSigner();
        if (signer is null)
        {
            return Reply<IReadOnlyList<string>>.Fail(ProtocolErrorCode.UnknownStore, $"store '{StoreId}' does not exist.");
        }

        var signed = new List<string>(challenges.Count);
        foreach (var c in challenges)
        {
            var content = new Challenge(c.AgreementId, c.Wallet, StoreId, c.Nonce, c.IssuedAt, c.ExpiresAt, signer.PublicKey.Thumbprint).ToContent();
            var result = await SignedObject.SignAsync(content, Purposes.Challenge, signer);
            if (!result.TryGetValue(out var json, out var error))
            {
                return Reply<IReadOnlyList<string>>.Fail(error);
            }

            signed.Add(json.ToJsonString());
        }

        return Reply<IReadOnlyList<string>>.Ok(signed);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _signer?.Dispose();
        _signer = null;
        return base.OnDeactivateAsync(reason, cancellationToken);
    }

    private async Task<LocalSigner?> GetSigner()
    {
        if (_signer is not null)
        {
            return _signer;
        }

        var jwk = await GrainFactory.GetGrain<IStoreChallengeKeySource>(StoreId).GetChallengePrivateJwk();
        if (jwk is null)
        {
            return null;
        }

        var loaded = LocalSigner.FromPrivateJwk(jwk);
        if (!loaded.TryGetValue(out var signer, out var error))
        {
            // The stored key is damaged: a bug or tampering, never a business outcome.
            throw new InvalidOperationException($"the challenge key of store '{StoreId}' cannot be loaded: {error.WireCode}");
        }

        _signer = signer;
        LogKeyLoaded(logger, StoreId, signer.PublicKey.Thumbprint);
        return _signer;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Challenge key {Kid} of store {Store} loaded")]
    private static partial void LogKeyLoaded(ILogger logger, string store, string kid);
}
