using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using OrleansSettlement.Api.Http;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// What the parties can see over HTTP of the money: every account's balance and edge totals (through its bank's operator
/// session) and the state of every unspent note each wallet holds (through the wallet's own <c>GET notes</c>), as one
/// sorted text. A refused request must leave it exactly as it was. A note that became spent drops out (the wallet lists
/// a spent note once, then forgets it), which shows as a difference too.
/// </summary>
public sealed record FlowSnapshot(string Text)
{
    public static async Task<FlowSnapshot> TakeAsync(IEnumerable<FlowPayer> payers, IEnumerable<FlowStore> stores)
    {
        ArgumentNullException.ThrowIfNull(payers);
        ArgumentNullException.ThrowIfNull(stores);
        var lines = new List<string>();
        foreach (var payer in payers)
        {
            lines.Add(Line(await payer.Bank.Operator.GetAccountAsync(payer.Account)));
            foreach (var held in (await payer.Wallet.GetNotesAsync()).Notes.Where(n => n.State != "spent"))
            {
                var note = Note.Parse(held.Note.DeepClone()).Value.Value;
                lines.Add($"note {note.Issuer}/{note.Serial} of {payer.Label}: {note.Amount.AmountMinor} {held.State} {held.AgreementId}");
            }
        }

        foreach (var store in stores)
        {
            lines.Add(Line(await store.Bank.Operator.GetAccountAsync(store.Account)));
        }

        lines.Sort(StringComparer.Ordinal);
        return new FlowSnapshot(string.Join('\n', lines));
    }

    public static Task<FlowSnapshot> TakeAsync(FlowWorld world) =>
        TakeAsync((world ?? throw new ArgumentNullException(nameof(world))).Payers, [world.Store]);

    /// <summary>Asserts that nothing a party can see of balances, holds or notes differs from this snapshot.</summary>
    public async Task AssertUnchangedAsync(IEnumerable<FlowPayer> payers, IEnumerable<FlowStore> stores)
    {
        var after = await TakeAsync(payers, stores);
        Assert.Equal(Text, after.Text);
    }

    public Task AssertUnchangedAsync(FlowWorld world) =>
        AssertUnchangedAsync((world ?? throw new ArgumentNullException(nameof(world))).Payers, [world.Store]);

    private static string Line(AccountInfo account) => string.Create(
        CultureInfo.InvariantCulture,
        $"account {account.Institution}/{account.Account}: balance {account.BalanceMinor}, deposited {account.DepositedMinor}, withdrawn {account.WithdrawnMinor}");
}

/// <summary>Assertions on the API's answers.</summary>
public static class FlowAssert
{
    /// <summary>
    /// Runs an SDK call that must be refused with <paramref name="status"/> and <paramref name="code"/>, as an RFC 9457
    /// problem with its type, a sentence and a trace id; returns the refusal.
    /// </summary>
    public static async Task<SettlementApiException> RefusedAsync(Func<Task> call, int status, string code)
    {
        ArgumentNullException.ThrowIfNull(call);
        var refusal = await Assert.ThrowsAsync<SettlementApiException>(call);
        Assert.True(refusal.Status == status && refusal.Code == code, $"expected {status} {code}, got {refusal.Status} {refusal.Code}: {refusal.Detail}");
        Assert.Equal(Problems.TypeBase + code, refusal.Type);
        Assert.False(string.IsNullOrWhiteSpace(refusal.Title));
        Assert.False(string.IsNullOrWhiteSpace(refusal.Detail));
        Assert.False(string.IsNullOrWhiteSpace(refusal.TraceId));
        return refusal;
    }

    public static CheckoutInfo Settled(CheckoutInfo checkout)
    {
        ArgumentNullException.ThrowIfNull(checkout);
        Assert.True(checkout.Stage == CheckoutStages.Settled, $"checkout {checkout.CheckoutId} is {checkout.Stage}: {checkout.AbortReason?.Code} {checkout.AbortReason?.Detail}");
        Assert.NotNull(checkout.Receipt);
        Assert.Null(checkout.AbortReason);
        return checkout;
    }

    public static CheckoutInfo Aborted(CheckoutInfo checkout, params string[] codes)
    {
        ArgumentNullException.ThrowIfNull(checkout);
        Assert.True(checkout.Stage == CheckoutStages.Aborted, $"checkout {checkout.CheckoutId} is {checkout.Stage}, not aborted. Steps:\n{Steps(checkout)}");
        Assert.NotNull(checkout.AbortReason);
        Assert.True(codes.Contains(checkout.AbortReason.Code), $"checkout {checkout.CheckoutId} aborted with {checkout.AbortReason.Code} ({checkout.AbortReason.Detail}), not {string.Join(" or ", codes)}.");
        Assert.False(string.IsNullOrWhiteSpace(checkout.AbortReason.Detail));
        Assert.Null(checkout.Receipt);
        return checkout;
    }

    /// <summary>The notes of <paramref name="payer"/> as its wallet lists them, by serial.</summary>
    public static async Task<IReadOnlyDictionary<string, WalletNoteInfo>> NotesAsync(FlowPayer payer)
    {
        ArgumentNullException.ThrowIfNull(payer);
        var listed = await payer.Wallet.GetNotesAsync();
        return listed.Notes.ToDictionary(n => FlowParties.Serial(n.Note), StringComparer.Ordinal);
    }

    /// <summary>Waits until every note in <paramref name="notes"/> is listed by its payer's wallet in <paramref name="state"/>.</summary>
    public static async Task NotesInStateAsync(FlowPayer payer, IEnumerable<JsonObject> notes, string state, TimeSpan? timeout = null)
    {
        var serials = (notes ?? throw new ArgumentNullException(nameof(notes))).Select(FlowParties.Serial).ToList();
        var seen = await Eventually(
            () => NotesAsync(payer),
            listed => serials.All(s => listed.TryGetValue(s, out var n) && n.State == state),
            timeout);
        foreach (var serial in serials)
        {
            Assert.True(seen.TryGetValue(serial, out var note) && note.State == state, $"note {serial} of {payer} is {(seen.TryGetValue(serial, out var n) ? n.State : "not listed")}, not {state}.");
        }
    }

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds or <paramref name="timeout"/> passes
    /// (default 15 s); returns the last value read either way, so the caller's assertion says what was seen.</summary>
    public static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan? timeout = null, int pollMilliseconds = 100)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow >= deadline)
            {
                return value;
            }

            await Task.Delay(pollMilliseconds);
        }
    }

    private static string Steps(CheckoutInfo checkout)
    {
        var text = new StringBuilder();
        foreach (var step in checkout.Steps)
        {
            text.Append(step.Step).Append(' ').Append(step.At).Append(' ').AppendLine(step.Detail);
        }

        return text.ToString();
    }
}
