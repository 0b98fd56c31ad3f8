using System.Buffers.Binary;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// Credits whose settlement the account learned complete within one short span of time (ADR 0021), kept for the grace of
/// ADR 0020: 16 bytes each, the credit's key and its amount as little-endian int64s, in one byte array. The whole memory
/// of a busy store's account is thousands of such credits and every credit rewrites it, so it must cost a block copy
/// per write, not a record each (a list of <see cref="RememberedCredit"/> took 36 bytes and a serializer call per credit).
/// A bucket is dropped whole once the grace has passed for its latest credit, so a credit is never dropped early and
/// at most <see cref="Span"/> late.
/// </summary>
[GenerateSerializer, Alias("osettle.banking.SettledCreditBucket")]
public sealed class SettledCreditBucket
{
    /// <summary>The bytes of one credit: its key, then its amount.</summary>
    public const int EntryBytes = 16;

    /// <summary>A bucket takes credits learned complete less than this long after its first one.</summary>
    public static readonly TimeSpan Span = TimeSpan.FromSeconds(5);

    /// <summary>When the account learned that the bucket's first credit settled.</summary>
    [Id(0)]
    public DateTimeOffset From { get; set; }

    /// <summary>When the account learned that the bucket's latest credit settled: the start of the bucket's grace.</summary>
    [Id(1)]
    public DateTimeOffset To { get; set; }

    /// <summary>The credits, <see cref="EntryBytes"/> each.</summary>
    [Id(2)]
    public byte[] Entries { get; set; } = [];

    public int Count => Entries.Length / EntryBytes;

    public long KeyAt(int index) => BinaryPrimitives.ReadInt64LittleEndian(Entries.AsSpan(index * EntryBytes));

    public long AmountAt(int index) => BinaryPrimitives.ReadInt64LittleEndian(Entries.AsSpan((index * EntryBytes) + 8));

    /// <summary>The amount of the credit with <paramref name="key"/> in <paramref name="buckets"/>, if any (a scan: for
    /// reading a stored row; the grain keeps an index).</summary>
    public static long? Find(IEnumerable<SettledCreditBucket> buckets, long key)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        foreach (var bucket in buckets)
        {
            for (var i = 0; i < bucket.Count; i++)
            {
                if (bucket.KeyAt(i) == key)
                {
                    return bucket.AmountAt(i);
                }
            }
        }

        return null;
    }

    /// <summary>Adds credits learned complete (each with the time it was learned), in order of that time, to the newest
    /// bucket while it spans less than <see cref="Span"/>, else to new buckets.</summary>
    public static void Add(List<SettledCreditBucket> buckets, IReadOnlyList<(long Key, long AmountMinor, DateTimeOffset SettledAt)> credits)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        ArgumentNullException.ThrowIfNull(credits);
        var start = 0;
        while (start < credits.Count)
        {
            var newest = buckets.Count > 0 ? buckets[^1] : null;
            if (newest is null || credits[start].SettledAt - newest.From >= Span || credits[start].SettledAt < newest.From)
            {
                newest = new SettledCreditBucket { From = credits[start].SettledAt, To = credits[start].SettledAt };
                buckets.Add(newest);
            }

            var end = start;
            while (end < credits.Count && credits[end].SettledAt - newest.From < Span && credits[end].SettledAt >= newest.From)
            {
                end++;
            }

            var entries = new byte[newest.Entries.Length + ((end - start) * EntryBytes)];
            newest.Entries.CopyTo(entries, 0);
            var at = newest.Entries.Length;
            for (var i = start; i < end; i++, at += EntryBytes)
            {
                BinaryPrimitives.WriteInt64LittleEndian(entries.AsSpan(at), credits[i].Key);
                BinaryPrimitives.WriteInt64LittleEndian(entries.AsSpan(at + 8), credits[i].AmountMinor);
                if (credits[i].SettledAt > newest.To)
                {
                    newest.To = credits[i].SettledAt;
                }
            }

            newest.Entries = entries;
            start = end;
        }
    }

    /// <summary>Removes the buckets whose latest credit's grace has passed at <paramref name="now"/>, and returns them.</summary>
    public static List<SettledCreditBucket> DropExpired(List<SettledCreditBucket> buckets, DateTimeOffset now, TimeSpan grace)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        var dropped = buckets.FindAll(b => now - b.To >= grace);
        if (dropped.Count > 0)
        {
            buckets.RemoveAll(b => now - b.To >= grace);
        }

        return dropped;
    }
}
