using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Banking;

/// <summary>A key version as the institution keeps it (private JWK in development; see <see cref="DevelopmentKeys"/>).</summary>
[GenerateSerializer, Alias("osettle.banking.StoredKey")]
public sealed class StoredKey
{
    [Id(0)]
    public string Kid { get; set; } = "";

    [Id(1)]
    public string PrivateJwkJson { get; set; } = "";

    [Id(2)]
    public string PublicJwkJson { get; set; } = "";

    [Id(3)]
    public KeyStatus Status { get; set; }

    [Id(4)]
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The key's identifier where it is held outside the service (a Key Vault key version URI), or null for a
    /// development key whose private JWK is <see cref="PrivateJwkJson"/>.</summary>
    [Id(5)]
    public string? ExternalKeyId { get; set; }

    /// <summary>When the key stopped being active (rotation), if it did.</summary>
    [Id(6)]
    public DateTimeOffset? RetiredAt { get; set; }

    /// <summary>When the key was revoked, if it was.</summary>
    [Id(7)]
    public DateTimeOffset? RevokedAt { get; set; }
}

[GenerateSerializer, Alias("osettle.banking.InstitutionState")]
public sealed class InstitutionState
{
    /// <summary>Null until the institution is created.</summary>
    [Id(0)]
    public string? DisplayName { get; set; }

    [Id(1)]
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The base64url SHA-256 of the operator's bearer token (never the token).</summary>
    [Id(2)]
    public string OperatorTokenHash { get; set; } = "";

    /// <summary>Note-issuing key versions, oldest first; exactly one is <see cref="KeyStatus.Active"/>.</summary>
    [Id(3)]
    public List<StoredKey> NoteKeys { get; set; } = [];

    /// <summary>The key that signs the institution's verification results.</summary>
    [Id(4)]
    public StoredKey? MessagingKey { get; set; }
}

/// <summary>
/// A bank: its profile, its keys and its operator credential. Read-mostly and never on a checkout's write path: signing
/// happens in <see cref="InstitutionSignerGrain"/> workers and public profiles are read through
/// <see cref="BankDirectoryGrain"/> workers, each with a short-lived cache.
/// </summary>
public sealed partial class InstitutionGrain(
    [PersistentState("institution", StorageNames.GrainState)] IPersistentState<InstitutionState> state,
    ILogger<InstitutionGrain> logger)
    : Grain, IInstitutionGrain, IInstitutionKeysGrain
{
    /// <summary>The longest display name accepted.</summary>
    public const int MaxDisplayNameLength = 128;

    private InstitutionState State => state.State;

    private bool Exists => State.DisplayName is not null;

    public async Task<Reply<InstitutionProfile>> Create(string displayName, string operatorTokenHash)
    {
        var institution = this.GetPrimaryKeyString();
        if (!Names.IsValid(institution))
        {
            return Reply<InstitutionProfile>.Fail(ProtocolErrorCode.InvalidField, $"'{institution}' is not a valid institution name (1 to 64 characters of a-z, 0-9 and '-').");
        }

        if (string.IsNullOrWhiteSpace(displayName) || displayName.Length > MaxDisplayNameLength || displayName.Any(char.IsControl))
        {
            return Reply<InstitutionProfile>.Fail(ProtocolErrorCode.InvalidField, $"the display name must be 1 to {MaxDisplayNameLength} characters without control characters.");
        }

        if (BinaryIds.Check(operatorTokenHash, "operatorTokenHash", BinaryIds.HashBytes, BinaryIds.HashBytes) is { IsOk: false } badHash)
        {
            return Reply<InstitutionProfile>.Fail(badHash.Error);
        }

        if (Exists)
        {
            if (string.Equals(State.DisplayName, displayName, StringComparison.Ordinal) && SameHash(State.OperatorTokenHash, operatorTokenHash))
            {
                return Reply<InstitutionProfile>.Ok(Profile());
            }

            return Reply<InstitutionProfile>.Fail(ProtocolErrorCode.AlreadyExists, $"institution '{institution}' already exists with another display name or operator.");
        }

        var now = Timestamps.Truncate(BankingServices.Clock(ServiceProvider).GetUtcNow());
        var noteKey = await NoteKeySources.Resolve(ServiceProvider).CreateNoteKeyAsync(institution, []).ConfigureAwait(true);
        var messagingKey = DevelopmentKeys.Generate();
        State.DisplayName = displayName;
        State.CreatedAt = now;
        State.OperatorTokenHash = operatorTokenHash;
        State.NoteKeys = [Stored(noteKey, now)];
        State.MessagingKey = new StoredKey { Kid = messagingKey.Kid, PrivateJwkJson = messagingKey.PrivateJwkJson, PublicJwkJson = messagingKey.PublicJwkJson, Status = KeyStatus.Active, CreatedAt = now };
        await state.WriteOrReloadAsync(this).ConfigureAwait(true);

        LogCreated(logger, institution, noteKey.Kid, messagingKey.Kid);
        return Reply<InstitutionProfile>.Ok(Profile());
    }

    public Task<bool> IsOperator(string operatorTokenHash) =>
        Task.FromResult(Exists && operatorTokenHash is not null && SameHash(State.OperatorTokenHash, operatorTokenHash));

    public Task<InstitutionProfile?> GetProfile() => Task.FromResult(Exists ? Profile() : null);

    public Task<InstitutionKeyMaterial?> GetKeyMaterial()
    {
        if (!Exists || State.MessagingKey is not { } messaging)
        {
            return Task.FromResult<InstitutionKeyMaterial?>(null);
        }

        var noteKeys = State.NoteKeys.Select(k => new NoteKeyMaterial(k.Kid, k.PrivateJwkJson, k.Status, k.ExternalKeyId)).ToList();
        return Task.FromResult<InstitutionKeyMaterial?>(new InstitutionKeyMaterial(noteKeys, messaging.Kid, messaging.PrivateJwkJson));
    }

    public async Task<Reply<InstitutionProfile>> RotateNoteKey()
    {
        var institution = this.GetPrimaryKeyString();
        if (!Exists)
        {
            return Reply<InstitutionProfile>.Fail(ProtocolErrorCode.UnknownInstitution, $"institution '{institution}' does not exist.");
        }

        var known = State.NoteKeys.Select(k => k.Kid).ToList();
        var fresh = await NoteKeySources.Resolve(ServiceProvider).CreateNoteKeyAsync(institution, known).ConfigureAwait(true);
        if (known.Contains(fresh.Kid, StringComparer.Ordinal))
        {
            return Reply<InstitutionProfile>.Fail(ProtocolErrorCode.InvalidField, $"the key source of institution '{institution}' has no new key version (with Key Vault: rotate the key in the vault first); the active key is unchanged.");
        }

        var now = Timestamps.Truncate(BankingServices.Clock(ServiceProvider).GetUtcNow());
        var retired = new List<string>();
        foreach (var key in State.NoteKeys.Where(k => k.Status == KeyStatus.Active))
        {
            key.Status = KeyStatus.Retired;
            key.RetiredAt = now;
            retired.Add(key.Kid);
        }

        State.NoteKeys.Add(Stored(fresh, now));
        await WriteAsync().ConfigureAwait(true);
        LogRotated(logger, institution, fresh.Kid, string.Join(",", retired));
        return Reply<InstitutionProfile>.Ok(Profile());
    }

    public async Task<Reply<InstitutionProfile>> RevokeNoteKey(string kid)
    {
        var institution = this.GetPrimaryKeyString();
        if (!Exists)
        {
            return Reply<InstitutionProfile>.Fail(ProtocolErrorCode.UnknownInstitution, $"institution '{institution}' does not exist.");
        }

        var key = State.NoteKeys.FirstOrDefault(k => string.Equals(k.Kid, kid, StringComparison.Ordinal));
        if (key is null)
        {
            return Reply<InstitutionProfile>.Fail(ProtocolErrorCode.UnknownKey, $"institution '{institution}' has no note key '{Shorten(kid)}'.");
        }

        switch (key.Status)
        {
            case KeyStatus.Revoked:
                return Reply<InstitutionProfile>.Ok(Profile());
            case KeyStatus.Active:
                return Reply<InstitutionProfile>.Fail(ProtocolErrorCode.InvalidField, $"note key {kid} is the active key of institution '{institution}': rotate first, then revoke it.");
        }

        key.Status = KeyStatus.Revoked;
        key.RevokedAt = Timestamps.Truncate(BankingServices.Clock(ServiceProvider).GetUtcNow());
        await WriteAsync().ConfigureAwait(true);
        LogRevoked(logger, institution, kid);
        return Reply<InstitutionProfile>.Ok(Profile());
    }

    private static StoredKey Stored(NewNoteKey key, DateTimeOffset now) => new()
    {
        Kid = key.Kid,
        PrivateJwkJson = key.PrivateJwkJson,
        PublicJwkJson = key.PublicJwkJson,
        ExternalKeyId = key.ExternalKeyId,
        Status = KeyStatus.Active,
        CreatedAt = now,
    };

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 64 ? text : text[..64] + "...";

    private async Task WriteAsync()
    {
        await state.WriteOrReloadAsync(this).ConfigureAwait(true);
    }

    private InstitutionProfile Profile() => new(
        this.GetPrimaryKeyString(),
        State.DisplayName!,
        State.NoteKeys.Select(k => new PublishedKey(k.Kid, k.PublicJwkJson, k.Status)).ToList(),
        new PublishedKey(State.MessagingKey!.Kid, State.MessagingKey.PublicJwkJson, State.MessagingKey.Status),
        State.CreatedAt);

    /// <summary>Compares two token hashes in constant time (for equal lengths; the length of a hash is no secret).</summary>
    private static bool SameHash(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected),
            System.Text.Encoding.UTF8.GetBytes(given));

    [LoggerMessage(Level = LogLevel.Information, Message = "Institution {Institution} created with note key {NoteKeyId} and messaging key {MessagingKeyId}")]
    private static partial void LogCreated(ILogger logger, string institution, string noteKeyId, string messagingKeyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Institution {Institution} rotated its note key: {NoteKeyId} is active, {RetiredKeyIds} retired")]
    private static partial void LogRotated(ILogger logger, string institution, string noteKeyId, string retiredKeyIds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Institution {Institution} revoked its note key {NoteKeyId}")]
    private static partial void LogRevoked(ILogger logger, string institution, string noteKeyId);
}
