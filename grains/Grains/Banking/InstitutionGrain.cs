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
        var noteKey = DevelopmentKeys.Generate();
        var messagingKey = DevelopmentKeys.Generate();
        State.DisplayName = displayName;
        State.CreatedAt = now;
        State.OperatorTokenHash = operatorTokenHash;
        State.NoteKeys = [new StoredKey { Kid = noteKey.Kid, PrivateJwkJson = noteKey.PrivateJwkJson, PublicJwkJson = noteKey.PublicJwkJson, Status = KeyStatus.Active, CreatedAt = now }];
        State.MessagingKey = new StoredKey { Kid = messagingKey.Kid, PrivateJwkJson = messagingKey.PrivateJwkJson, PublicJwkJson = messagingKey.PublicJwkJson, Status = KeyStatus.Active, CreatedAt = now };
        try
        {
            await state.WriteStateAsync().ConfigureAwait(true);
        }
        catch
        {
            // The stored row is unknown now: the next activation reads it again rather than trusting memory.
            DeactivateOnIdle();
            throw;
        }

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

        var noteKeys = State.NoteKeys.Select(k => new NoteKeyMaterial(k.Kid, k.PrivateJwkJson, k.Status)).ToList();
        return Task.FromResult<InstitutionKeyMaterial?>(new InstitutionKeyMaterial(noteKeys, messaging.Kid, messaging.PrivateJwkJson));
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
}
