using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>
/// The wallet's live feed: every change announces what it added (an agreement led, a contribution, a challenge, notes, an
/// ended checkout) as numbered events. Events about stored items (notes, ended checkouts) are stored in the same write as
/// the item, so the feed never shows a stored item that was not stored and never loses one that was; events about the
/// pre-S7 items, which live in the activation's memory only (WalletGrain.Session.cs, ADR 0018), live there too.
/// </summary>
/// <remarks>
/// <para>The feed is a diff, not a hook in each operation: the items are compared with the keys already announced, the
/// stored items before each write (keys kept in the row), the pre-S7 items after each change (keys kept in memory). Keys
/// are dropped with their items, so the key lists are bounded by the items' own limits; each event list keeps the newest
/// <see cref="MaxEvents"/>. A row written before the feed existed announces its items once, at its next write.</para>
/// <para>Numbers are never given twice, even when an activation is lost with events that were never stored: an
/// activation's first number jumps to at least <see cref="SeqPerMillisecond"/> times the Unix time in milliseconds, above
/// every number an earlier activation gave (it lived before this one was made, and gave fewer than
/// <see cref="SeqPerMillisecond"/> numbers a millisecond), and then numbers go up by 1. Each event names the number given
/// before it (<see cref="WalletEvent.Prev"/>), so a client whose last number is not the predecessor of the next event it
/// would get (events trimmed, or lost with an activation) is told to read the wallet again
/// (<see cref="WalletEventsPage.Gap"/>).</para>
/// </remarks>
public sealed partial class WalletGrain
{
    /// <summary>The most events kept; a client further behind is told to read the wallet again.</summary>
    public const int MaxEvents = 64;

    /// <summary>How many numbers an activation's first number leaves room for per millisecond of the Unix time.</summary>
    public const long SeqPerMillisecond = 1_000;

    /// <summary>Events about the pre-S7 items, newest last, never stored.</summary>
    private readonly List<WalletEvent> _sessionEvents = [];

    /// <summary>Keys of the pre-S7 items already announced.</summary>
    private HashSet<string> _announcedSession = new(StringComparer.Ordinal);

    /// <summary>The newest number this activation gave; 0 until it gives one.</summary>
    private long _seq;

    public Task<WalletEventsPage> GetEvents(long after)
    {
        var s = state.State;
        var latest = Math.Max(s.EventSeq, _seq);
        var kept = s.Events.Concat(_sessionEvents).OrderBy(e => e.Seq).ToList();
        if (kept.Count > MaxEvents)
        {
            kept.RemoveRange(0, kept.Count - MaxEvents);
        }

        if (after < 0 || after > latest)
        {
            return Task.FromResult(new WalletEventsPage(latest, kept, Gap: true));
        }

        var events = kept.Where(e => e.Seq > after).ToList();
        var missing = events.Count > 0 ? events[0].Prev != after : after < latest;
        return Task.FromResult(new WalletEventsPage(latest, events, missing));
    }

    /// <summary>Appends an event for every stored item not announced yet, and forgets keys of items that are gone; called
    /// before each write, which stores the events and the newest number.</summary>
    private void RecordEvents()
    {
        var s = state.State;
        var announced = s.AnnouncedKeys.ToHashSet(StringComparer.Ordinal);
        var current = new List<string>();
        var notes = 0;

        foreach (var note in s.Notes)
        {
            if (Announce(announced, current, $"note|{note.Issuer}|{note.Serial}"))
            {
                notes++;
            }
        }

        if (notes > 0)
        {
            s.Events.Add(NewEvent(WalletEventTypes.Notes, null, null, null, null, null, notes));
        }

        foreach (var checkout in s.RecentCheckouts)
        {
            if (Announce(announced, current, "ended|" + checkout))
            {
                var (store, checkoutId) = GrainKeys.Split(checkout);
                s.Events.Add(NewEvent(WalletEventTypes.CheckoutEnded, null, store, checkoutId, null, null, 0));
            }
        }

        s.AnnouncedKeys = current;
        Trim(s.Events);
        s.EventSeq = Math.Max(s.EventSeq, _seq);
    }

    /// <summary>Appends an event for every pre-S7 item not announced yet (memory only), and forgets keys of items that
    /// are gone.</summary>
    private void RecordSessionEvents()
    {
        var current = new List<string>();
        foreach (var led in _leading)
        {
            if (Announce(_announcedSession, current, "led|" + led.AgreementId))
            {
                _sessionEvents.Add(NewEvent(WalletEventTypes.AgreementLed, led.AgreementId, led.Store, null, null, null, 0));
            }
        }

        foreach (var box in _mailbox)
        {
            foreach (var contribution in box.Contributions)
            {
                if (Announce(_announcedSession, current, $"contribution|{box.AgreementId}|{contribution.Wallet}|{contribution.ContentKey}"))
                {
                    var store = _leading.FirstOrDefault(l => string.Equals(l.AgreementId, box.AgreementId, StringComparison.Ordinal))?.Store;
                    _sessionEvents.Add(NewEvent(WalletEventTypes.Contribution, box.AgreementId, store, null, contribution.Wallet, null, box.Contributions.Count));
                }
            }
        }

        foreach (var stored in _challenges)
        {
            if (Announce(_announcedSession, current, "challenge|" + stored.ChallengeId))
            {
                var c = stored.Challenge;
                _sessionEvents.Add(NewEvent(WalletEventTypes.Challenge, c.AgreementId, c.Store, c.CheckoutId, null, c.ChallengeJson, 0));
            }
        }

        _announcedSession = current.ToHashSet(StringComparer.Ordinal);
        Trim(_sessionEvents);
    }

    /// <summary>Notes <paramref name="item"/> as current; true when it was not announced before.</summary>
    private static bool Announce(HashSet<string> announced, List<string> current, string item)
    {
        var key = Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes(item))[..22];
        current.Add(key);
        return !announced.Contains(key);
    }

    private WalletEvent NewEvent(string type, string? agreementId, string? store, string? checkoutId, string? wallet, string? challengeJson, int count)
    {
        var now = _time.GetUtcNow();
        var prev = _seq;
        if (_seq == 0)
        {
            prev = state.State.EventSeq;
            _seq = Math.Max(prev, now.ToUnixTimeMilliseconds() * SeqPerMillisecond);
        }

        return new WalletEvent(++_seq, type, now, agreementId, store, checkoutId, wallet, challengeJson, count, prev);
    }

    private static void Trim(List<WalletEvent> events)
    {
        if (events.Count > MaxEvents)
        {
            events.RemoveRange(0, events.Count - MaxEvents);
        }
    }
}
