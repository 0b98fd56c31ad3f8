namespace OrleansSettlement.Api.Security;

/// <summary>
/// The (keyid, nonce) pairs of wallet request signatures seen while they could still be accepted, so that a signed
/// request cannot be sent twice. Bounded: when full, the oldest pairs are forgotten first. Per API instance: POSTs are
/// also protected by their Idempotency-Key, which every instance shares.
/// </summary>
public sealed class NonceCache(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _entries = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset ExpiresAt)> _order = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), "the cache holds at least one entry.");

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Records the pair until <paramref name="expiresAt"/>; false when it was recorded before (a replay).</summary>
    public bool TryUse(string keyId, string nonce, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentNullException.ThrowIfNull(nonce);
        var key = string.Concat(keyId, " ", nonce);
        lock (_gate)
        {
            while (_order.Count > 0 && (_order.Peek().ExpiresAt <= now || _entries.Count >= Capacity))
            {
                var (oldest, oldestExpiry) = _order.Dequeue();
                if (_entries.TryGetValue(oldest, out var current) && current == oldestExpiry)
                {
                    _entries.Remove(oldest);
                }
            }

            if (_entries.TryGetValue(key, out var existing) && existing > now)
            {
                return false;
            }

            _entries[key] = expiresAt;
            _order.Enqueue((key, expiresAt));
            return true;
        }
    }
}
