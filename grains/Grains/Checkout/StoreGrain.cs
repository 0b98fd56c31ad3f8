using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>The private side of a store grain, for the store's own challenge signer only (never for clients).</summary>
[Alias("osettle.IStoreChallengeKeySource")]
public interface IStoreChallengeKeySource : IGrainWithStringKey
{
    /// <summary>The store's challenge key as a private JWK, or null when the store does not exist.</summary>
    [Alias("GetChallengePrivateJwk")]
    Task<string?> GetChallengePrivateJwk();
}

[GenerateSerializer, Alias("osettle.StoreState")]
public sealed class StoreState
{
    [Id(0)]
    public bool Created { get; set; }

    [Id(1)]
    public string DisplayName { get; set; } = "";

    [Id(2)]
    public string Institution { get; set; } = "";

    [Id(3)]
    public string Account { get; set; } = "";

    /// <summary>The base64url SHA-256 of the store's bearer token (never the token).</summary>
    [Id(4)]
    public string TokenHash { get; set; } = "";

    /// <summary>
    /// Development only: the challenge key's private JWK, kept in grain state. In Azure, messaging keys are ES256 keys
    /// loaded from Key Vault secrets (PROTOCOL-CHOICES "Keys"), and this member stays empty.
    /// </summary>
    [Id(5)]
    public string ChallengePrivateJwk { get; set; } = "";

    [Id(6)]
    public string ChallengeKid { get; set; } = "";

    [Id(7)]
    public string ChallengePublicJwk { get; set; } = "";

    [Id(8)]
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A store: where it is paid and the key that signs its challenges. Read-mostly; it never signs itself, so that a
/// busy store is not one hot grain: <see cref="StoreChallengeSignerGrain"/> (a stateless worker) loads the key once
/// per activation and signs.
/// </summary>
/// <remarks>
/// Development key handling: <see cref="Create"/> generates the challenge key with <see cref="LocalSigner"/> and keeps
/// its private JWK in this grain's state (Azure Table storage). In Azure the store's messaging key is an ES256 key
/// loaded from a Key Vault secret instead; only the public key belongs in the profile.
/// </remarks>
public sealed partial class StoreGrain(
    [PersistentState("store", StorageNames.GrainState)] IPersistentState<StoreState> state,
    ILogger<StoreGrain> logger,
    TimeProvider? timeProvider = null) : Grain, IStoreGrain, IStoreChallengeKeySource
{
    public const int MaxDisplayNameLength = 64;

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    private string StoreId => this.GetPrimaryKeyString();

    public async Task<Reply<StoreProfile>> Create(string displayName, string institution, string account, string storeTokenHash)
    {
        if (CheckInput(displayName, institution, account, storeTokenHash) is { } invalid)
        {
            return Reply<StoreProfile>.Fail(invalid);
        }

        var s = state.State;
        if (s.Created)
        {
            return string.Equals(s.DisplayName, displayName, StringComparison.Ordinal)
                && string.Equals(s.Institution, institution, StringComparison.Ordinal)
                && string.Equals(s.Account, account, StringComparison.Ordinal)
                && string.Equals(s.TokenHash, storeTokenHash, StringComparison.Ordinal)
                ? Reply<StoreProfile>.Ok(Profile())
                : Reply<StoreProfile>.Fail(ProtocolErrorCode.AlreadyExists, $"store '{StoreId}' exists with other details.");
        }

        if (await GrainFactory.GetGrain<IInstitutionGrain>(institution).GetProfile() is null)
        {
            return Reply<StoreProfile>.Fail(ProtocolErrorCode.UnknownInstitution, $"institution '{institution}' does not exist.");
        }

        var view = await GrainFactory.GetGrain<IAccountGrain>(GrainKeys.Account(institution, account)).Get();
        if (view is null)
        {
            return Reply<StoreProfile>.Fail(ProtocolErrorCode.UnknownAccount, $"account '{account}' does not exist at '{institution}'.");
        }

        if (view.OwnerKind != OwnerKind.Store || !string.Equals(view.Owner, StoreId, StringComparison.Ordinal))
        {
            return Reply<StoreProfile>.Fail(ProtocolErrorCode.Forbidden, $"account '{account}' at '{institution}' is not owned by store '{StoreId}'.");
        }

        using var key = LocalSigner.Generate();
        s.DisplayName = displayName;
        s.Institution = institution;
        s.Account = account;
        s.TokenHash = storeTokenHash;
        s.ChallengePrivateJwk = key.ToPrivateJwkJson();
        s.ChallengeKid = key.PublicKey.Thumbprint;
        s.ChallengePublicJwk = key.PublicKey.ToJson().ToJsonString();
        s.CreatedAt = Timestamps.Truncate(_time.GetUtcNow());
        s.Created = true;
        await state.WriteOrReloadAsync(this);

        LogCreated(logger, StoreId, institution, account, s.ChallengeKid);
        return Reply<StoreProfile>.Ok(Profile());
    }

    public Task<bool> IsStore(string storeTokenHash)
    {
        var s = state.State;
        if (!s.Created || storeTokenHash is null)
        {
            return Task.FromResult(false);
        }

        // Constant time over the stored hash's length: the comparison does not reveal how much of it matched.
        var equal = CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(s.TokenHash), Encoding.UTF8.GetBytes(storeTokenHash));
        return Task.FromResult(equal);
    }

    public Task<StoreProfile?> GetProfile() => Task.FromResult(state.State.Created ? Profile() : null);

    public Task<string?> GetChallengePrivateJwk() =>
        Task.FromResult(state.State.Created ? state.State.ChallengePrivateJwk : null);

    private StoreProfile Profile()
    {
        var s = state.State;
        return new StoreProfile(StoreId, s.DisplayName, s.Institution, s.Account, new PublishedKey(s.ChallengeKid, s.ChallengePublicJwk, KeyStatus.Active), s.CreatedAt);
    }

    private ProtocolError? CheckInput(string displayName, string institution, string account, string storeTokenHash)
    {
        if (!Names.IsValid(StoreId))
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, $"the store name must be 1 to {Names.MaxLength} characters of a-z, 0-9 and '-'.");
        }

        if (string.IsNullOrWhiteSpace(displayName) || displayName.Length > MaxDisplayNameLength || displayName.Any(char.IsControl))
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, $"displayName must be 1 to {MaxDisplayNameLength} characters without control characters.");
        }

        if (!Names.IsValid(institution) || !Names.IsValid(account))
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, $"institution and account must be names of 1 to {Names.MaxLength} characters of a-z, 0-9 and '-'.");
        }

        var hash = BinaryIds.Check(storeTokenHash, "storeTokenHash", BinaryIds.HashBytes, BinaryIds.HashBytes);
        return hash.IsOk ? null : hash.Error;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Store {Store} created, paid into {Institution}/{Account}, challenge key {Kid}")]
    private static partial void LogCreated(ILogger logger, string store, string institution, string account, string kid);
}
