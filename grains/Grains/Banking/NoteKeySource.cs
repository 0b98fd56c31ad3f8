using Microsoft.Extensions.DependencyInjection;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Grains.Banking;

/// <summary>A new note key version as its source made it: the kid (RFC 7638 thumbprint of the public key), the public
/// JWK text and either a private JWK (development) or the identifier of a key held elsewhere (a Key Vault key version).</summary>
public sealed record NewNoteKey(string Kid, string PublicJwkJson, string PrivateJwkJson, string? ExternalKeyId);

/// <summary>
/// Where an institution's note keys come from and how they are opened for signing: the development source keeps
/// private JWKs in grain state (<see cref="DevelopmentNoteKeySource"/>); a Key Vault source keeps only key identifiers
/// and signs in the vault. Registered in the silo; without a registration the development source is used.
/// </summary>
public interface INoteKeySource
{
    /// <summary>A new note key version for <paramref name="institution"/>. <paramref name="knownKids"/> are the kids the
    /// institution already has: a source that cannot make a new version (a Key Vault key not rotated in the vault yet)
    /// returns a key whose kid is among them, and the caller refuses the rotation.</summary>
    Task<NewNoteKey> CreateNoteKeyAsync(string institution, IReadOnlyCollection<string> knownKids, CancellationToken cancellationToken = default);

    /// <summary>A signer for a stored note key version; the caller disposes it when it is <see cref="IDisposable"/>.</summary>
    ISigner OpenNoteSigner(string institution, NoteKeyMaterial key);
}

/// <summary>The development source: fresh P-256 keys whose private JWKs live in grain state (ADR 0004).</summary>
public sealed class DevelopmentNoteKeySource : INoteKeySource
{
    public static readonly DevelopmentNoteKeySource Instance = new();

    public Task<NewNoteKey> CreateNoteKeyAsync(string institution, IReadOnlyCollection<string> knownKids, CancellationToken cancellationToken = default)
    {
        var key = DevelopmentKeys.Generate();
        return Task.FromResult(new NewNoteKey(key.Kid, key.PublicJwkJson, key.PrivateJwkJson, null));
    }

    public ISigner OpenNoteSigner(string institution, NoteKeyMaterial key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return DevelopmentKeys.OpenSigner(key.PrivateJwkJson);
    }
}

/// <summary>Resolves the registered <see cref="INoteKeySource"/>, or the development one.</summary>
internal static class NoteKeySources
{
    public static INoteKeySource Resolve(IServiceProvider services) =>
        services.GetService<INoteKeySource>() ?? DevelopmentNoteKeySource.Instance;
}
