using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// The wallet's live feed: every write announces what it added (an agreement led, a contribution, a challenge, notes, an
/// ended checkout) as numbered events stored in the same write, so a feed never shows what was not stored and never
/// loses what was.
/// </summary>
/// <remarks>
/// The feed is a diff, not a hook in each operation: before each write the items in the state are compared with the
/// keys already announced. Keys are dropped with their items, so the key list is bounded by the state's own limits; the
/// event list keeps the newest <see cref="MaxEvents"/>. A row written before the feed existed announces its items once,
/// at its next write.
/// </remarks>
public sealed partial class WalletGrain
{
    /// <summary>The most events kept; a client further behind is told to read the wallet again.</summary>
    public const int MaxEvents = 64;

    public Task<WalletEventsPage> GetEvents(long after)
    {
        var s = state.State;
        if (after < 0 || after > s.EventSeq)
        {
            return Task.FromResult(new WalletEventsPage(s.EventSeq, [.. s.Events], Gap: true));
        }

        var events = s.Events.Where(e => e.Seq > after).ToList();
        var missing = after < s.EventSeq && (events.Count == 0 || events[0].Seq != after + 1);
        return Task.FromResult(new WalletEventsPage(s.EventSeq, events, missing));
    }

    /// <summary>Appends an event for every item of the state not announced yet, and forgets keys of items that are gone.</summary>
    private void RecordEvents()
    {
        var s = state.State;
        var now = _time.GetUtcNow();
        var announced = s.AnnouncedKeys.ToHashSet(StringComparer.Ordinal);
        var current = new List<string>();
        var notes = 0;

        foreach (var led in s.Leading)
        {
            if (Announce("led|" + led.AgreementId))
            {
                Add(WalletEventTypes.AgreementLed, led.AgreementId, led.Store, null, null, null, 0);
            }
        }

        foreach (var box in s.Mailbox)
        {
            foreach (var contribution in box.Contributions)
            {
                if (Announce($"contribution|{box.AgreementId}|{contribution.Wallet}|{contribution.ContentKey}"))
                {
                    var store = s.Leading.FirstOrDefault(l => string.Equals(l.AgreementId, box.AgreementId, StringComparison.Ordinal))?.Store;
                    Add(WalletEventTypes.Contribution, box.AgreementId, store, null, contribution.Wallet, null, box.Contributions.Count);
                }
            }
        }

        foreach (var stored in s.Challenges)
        {
            if (Announce("challenge|" + stored.ChallengeId))
            {
                var c = stored.Challenge;
                Add(WalletEventTypes.Challenge, c.AgreementId, c.Store, c.CheckoutId, null, c.ChallengeJson, 0);
            }
        }

        foreach (var note in s.Notes)
        {
            if (Announce($"note|{note.Issuer}|{note.Serial}"))
            {
                notes++;
            }
        }

        if (notes > 0)
        {
            Add(WalletEventTypes.Notes, null, null, null, null, null, notes);
        }

        foreach (var checkout in s.RecentCheckouts)
        {
            if (Announce("ended|" + checkout))
            {
                var (store, checkoutId) = GrainKeys.Split(checkout);
                Add(WalletEventTypes.CheckoutEnded, null, store, checkoutId, null, null, 0);
            }
        }

        s.AnnouncedKeys = current;
        if (s.Events.Count > MaxEvents)
        {
            s.Events.RemoveRange(0, s.Events.Count - MaxEvents);
        }

        bool Announce(string item)
        {
            var key = Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes(item))[..22];
            current.Add(key);
            return !announced.Contains(key);
        }

        void Add(string type, string? agreementId, string? store, string? checkoutId, string? wallet, string? challengeJson, int count)
        {
            s.EventSeq++;
            s.Events.Add(new WalletEvent(s.EventSeq, type, now, agreementId, store, checkoutId, wallet, challengeJson, count));
        }
    }
}
