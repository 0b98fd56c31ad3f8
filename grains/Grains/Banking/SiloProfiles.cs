using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// The public facts a bank part reads at S8 and S10, cached in the silo's memory for every bank part of the silo (one
/// table per grain factory, so per silo): institutions' profiles and stores' profiles for
/// <see cref="BankingOptions.ProfileCacheLifetime"/> (a revoked key may still verify for up to that long, as with
/// <see cref="BankDirectoryGrain"/>), and payee accounts for the same time (only their owner and currency are read, and
/// those are fixed when an account is opened). Absent ones are not cached: one created a moment later is seen at once.
/// </summary>
/// <remarks>It replaces a call to the <see cref="BankDirectoryGrain"/> workers per lookup (13 per checkout): those calls
/// queued on the silo's two worker activations, and the payee account's <c>Get</c> queued behind every credit of the
/// store's one account (the bench's <c>--tail</c> showed both among the calls of 10 ms and more in slow checkouts).</remarks>
internal sealed class SiloProfiles
{
    /// <summary>Entries kept per table before it starts over (a crude bound; these are small).</summary>
    private const int MaxEntries = 4096;

    private static readonly ConditionalWeakTable<IGrainFactory, SiloProfiles> PerSilo = [];

    private readonly ConcurrentDictionary<string, (InstitutionProfile Value, DateTimeOffset Until)> _institutions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (StoreProfile Value, DateTimeOffset Until)> _stores = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (AccountView Value, DateTimeOffset Until)> _accounts = new(StringComparer.Ordinal);

    /// <summary>The table of the silo whose grain factory is <paramref name="grains"/>.</summary>
    public static SiloProfiles Of(IGrainFactory grains) => PerSilo.GetValue(grains, _ => new SiloProfiles());

    public Task<InstitutionProfile?> InstitutionAsync(IGrainFactory grains, string institution, DateTimeOffset now, TimeSpan lifetime) =>
        GetAsync(_institutions, institution, now, lifetime, () => grains.GetGrain<IInstitutionGrain>(institution).GetProfile());

    public Task<StoreProfile?> StoreAsync(IGrainFactory grains, string store, DateTimeOffset now, TimeSpan lifetime) =>
        GetAsync(_stores, store, now, lifetime, () => grains.GetGrain<IStoreGrain>(store).GetProfile());

    /// <summary>The account as last read (its balances are not current: read only its owner and currency).</summary>
    public Task<AccountView?> AccountAsync(IGrainFactory grains, string institution, string account, DateTimeOffset now, TimeSpan lifetime)
    {
        var key = GrainKeys.Account(institution, account);
        return GetAsync(_accounts, key, now, lifetime, () => grains.GetGrain<IAccountGrain>(key).Get());
    }

    private static async Task<T?> GetAsync<T>(ConcurrentDictionary<string, (T Value, DateTimeOffset Until)> table, string key, DateTimeOffset now, TimeSpan lifetime, Func<Task<T?>> read)
        where T : class
    {
        if (table.TryGetValue(key, out var cached) && now < cached.Until)
        {
            return cached.Value;
        }

        var value = await read().ConfigureAwait(true);
        if (value is null)
        {
            table.TryRemove(key, out _);
            return null;
        }

        if (table.Count >= MaxEntries)
        {
            table.Clear();
        }

        table[key] = (value, now + lifetime);
        return value;
    }
}

/// <summary>The lookups of S8 and S10 (<see cref="IBankPartLookups"/>) from the silo's <see cref="SiloProfiles"/>, at the
/// silo's clock and with its banking options: what a bank part and a note checking a COMMIT read alike.</summary>
internal sealed class SiloBankPartLookups(IGrainFactory grains, IServiceProvider services) : IBankPartLookups
{
    private SiloProfiles Profiles => SiloProfiles.Of(grains);

    private DateTimeOffset Now => BankingServices.Clock(services).GetUtcNow();

    private TimeSpan Lifetime => BankingServices.Options(services).ProfileCacheLifetime;

    public Task<InstitutionProfile?> InstitutionAsync(string institution) => Profiles.InstitutionAsync(grains, institution, Now, Lifetime);

    public Task<StoreProfile?> StoreAsync(string store) => Profiles.StoreAsync(grains, store, Now, Lifetime);

    public Task<AccountView?> AccountAsync(string institution, string account) => Profiles.AccountAsync(grains, institution, account, Now, Lifetime);
}
