using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// The institutions' published profiles as one grain activation sees them: fetched on first use and kept for
/// <see cref="Lifetime"/>, so a key revoked at the bank is seen within that time. Unknown institutions are not
/// remembered (one may be created a moment later). A first use takes the profile another activation of the silo
/// fetched less than <see cref="SharedLifetime"/> ago, if any, instead of calling <see cref="IInstitutionGrain"/>: a
/// checkout and a settlement are new activations every time, and each read every profile again (5 grain calls per
/// checkout; ADR 0015). Not thread-safe: one per activation.
/// </summary>
internal sealed class InstitutionDirectory(IGrainFactory grains, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    /// <summary>How old a profile fetched by another activation of the silo may be for a new activation to take it: short,
    /// so that a rotation or revocation reaches new checkouts about as soon as when each fetched its own.</summary>
    public static readonly TimeSpan SharedLifetime = TimeSpan.FromSeconds(5);

    /// <summary>Institutions remembered per silo before the shared table starts over (profiles are small).</summary>
    private const int MaxShared = 1024;

    private static readonly ConditionalWeakTable<IGrainFactory, ConcurrentDictionary<string, (InstitutionProfile Profile, DateTimeOffset FetchedAt)>> Shared = [];

    private readonly ConcurrentDictionary<string, (InstitutionProfile Profile, DateTimeOffset FetchedAt)> _shared = Shared.GetValue(grains, _ => new(StringComparer.Ordinal));
    private readonly Dictionary<string, (InstitutionProfile Profile, DateTimeOffset FetchedAt)> _profiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PublicJwk> _keys = new(StringComparer.Ordinal);

    /// <summary>The profile, or null when the institution does not exist.</summary>
    public async Task<InstitutionProfile?> GetProfile(string institution)
    {
        var now = time.GetUtcNow();
        if (_profiles.TryGetValue(institution, out var cached) && now - cached.FetchedAt < Lifetime)
        {
            return cached.Profile;
        }

        if (_shared.TryGetValue(institution, out var shared) && now - shared.FetchedAt < SharedLifetime && now >= shared.FetchedAt)
        {
            _profiles[institution] = shared;
            return shared.Profile;
        }

        var profile = await grains.GetGrain<IInstitutionGrain>(institution).GetProfile();
        if (profile is null)
        {
            _profiles.Remove(institution);
            _shared.TryRemove(institution, out _);
            return null;
        }

        if (_shared.Count >= MaxShared)
        {
            _shared.Clear();
        }

        _profiles[institution] = (profile, now);
        _shared[institution] = (profile, now);
        return profile;
    }

    /// <summary>The profiles of several institutions, fetched in parallel; the first unknown one is refused.</summary>
    public async Task<Outcome<IReadOnlyDictionary<string, InstitutionProfile>>> GetProfiles(IEnumerable<string> institutions)
    {
        var names = institutions.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var profiles = await Task.WhenAll(names.Select(GetProfile));
        var found = new Dictionary<string, InstitutionProfile>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            if (profiles[i] is not { } profile)
            {
                return Outcome<IReadOnlyDictionary<string, InstitutionProfile>>.Fail(ProtocolErrorCode.UnknownInstitution, $"institution '{names[i]}' does not exist.");
            }

            found[names[i]] = profile;
        }

        return Outcome<IReadOnlyDictionary<string, InstitutionProfile>>.Ok(found);
    }

    /// <summary>The note-issuing key <paramref name="kid"/> of <paramref name="profile"/>, unless unpublished or revoked.</summary>
    public Outcome<PublicJwk> NoteKey(InstitutionProfile profile, string kid)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var published = profile.NoteKeys.FirstOrDefault(k => string.Equals(k.Kid, kid, StringComparison.Ordinal));
        return Key(profile.InstitutionId, published, kid, "note key");
    }

    /// <summary>The messaging key of <paramref name="profile"/>, which must be <paramref name="kid"/> and not revoked.</summary>
    public Outcome<PublicJwk> MessagingKey(InstitutionProfile profile, string kid)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var published = string.Equals(profile.MessagingKey.Kid, kid, StringComparison.Ordinal) ? profile.MessagingKey : null;
        return Key(profile.InstitutionId, published, kid, "messaging key");
    }

    private Outcome<PublicJwk> Key(string institution, PublishedKey? published, string kid, string what)
    {
        if (published is null || published.Status == KeyStatus.Revoked)
        {
            return Outcome<PublicJwk>.Fail(ProtocolErrorCode.UnknownKey, $"{kid} is not a published {what} of '{institution}'.");
        }

        if (_keys.TryGetValue(published.PublicJwkJson, out var known))
        {
            return Outcome<PublicJwk>.Ok(known);
        }

        var parsed = PublicJwk.Parse(published.PublicJwkJson);
        if (!parsed.TryGetValue(out var key, out _) || !string.Equals(key.Thumbprint, kid, StringComparison.Ordinal))
        {
            // The institution published something that is not the key it names: treat it as unknown.
            return Outcome<PublicJwk>.Fail(ProtocolErrorCode.UnknownKey, $"{kid} is not a usable {what} of '{institution}'.");
        }

        _keys[published.PublicJwkJson] = key;
        return Outcome<PublicJwk>.Ok(key);
    }
}
