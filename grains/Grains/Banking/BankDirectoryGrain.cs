using Orleans.Concurrency;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// Public profiles as the bank grains read them (institutions' published keys, stores' challenge keys), cached for
/// <see cref="BankingOptions.ProfileCacheLifetime"/> in each worker activation, so that many callers do not all queue at
/// one institution or store grain (the account grain's withdrawals; the bank parts' S8 and S10 read
/// <see cref="SiloProfiles"/> instead, without a call). A stateless worker: its activations are local to each silo.
/// Key: <see cref="Key"/>. Absent profiles are not cached (a profile created a moment later is seen at once).
/// </summary>
[Alias("osettle.banking.IBankDirectoryGrain")]
public interface IBankDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The one key every caller uses.</summary>
    public const string Key = "public";

    [Alias("GetInstitution")]
    Task<InstitutionProfile?> GetInstitution(string institution);

    [Alias("GetStore")]
    Task<StoreProfile?> GetStore(string store);
}

[StatelessWorker]
public sealed class BankDirectoryGrain : Grain, IBankDirectoryGrain
{
    /// <summary>Entries kept per activation before the cache is emptied (a crude bound; profiles are small).</summary>
    private const int MaxEntries = 1024;

    private readonly Dictionary<string, (InstitutionProfile Profile, DateTimeOffset Until)> _institutions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (StoreProfile Profile, DateTimeOffset Until)> _stores = new(StringComparer.Ordinal);

    public async Task<InstitutionProfile?> GetInstitution(string institution)
    {
        ArgumentNullException.ThrowIfNull(institution);
        var now = BankingServices.Clock(ServiceProvider).GetUtcNow();
        if (_institutions.TryGetValue(institution, out var cached) && now < cached.Until)
        {
            return cached.Profile;
        }

        var profile = await GrainFactory.GetGrain<IInstitutionGrain>(institution).GetProfile().ConfigureAwait(true);
        Remember(_institutions, institution, profile, now);
        return profile;
    }

    public async Task<StoreProfile?> GetStore(string store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var now = BankingServices.Clock(ServiceProvider).GetUtcNow();
        if (_stores.TryGetValue(store, out var cached) && now < cached.Until)
        {
            return cached.Profile;
        }

        var profile = await GrainFactory.GetGrain<IStoreGrain>(store).GetProfile().ConfigureAwait(true);
        Remember(_stores, store, profile, now);
        return profile;
    }

    private void Remember<T>(Dictionary<string, (T Profile, DateTimeOffset Until)> cache, string key, T? profile, DateTimeOffset now)
        where T : class
    {
        if (profile is null)
        {
            cache.Remove(key);
            return;
        }

        if (cache.Count >= MaxEntries)
        {
            cache.Clear();
        }

        cache[key] = (profile, now + BankingServices.Options(ServiceProvider).ProfileCacheLifetime);
    }
}
