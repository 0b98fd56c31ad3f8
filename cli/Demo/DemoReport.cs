using System.Text.Json.Nodes;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Cli.Demo;

/// <summary>How a demo checkout ended; the strings are the JSON document's <c>outcome</c>.</summary>
internal static class DemoOutcomes
{
    /// <summary>Every bank settled its part: the store was paid, every payer got its change.</summary>
    public const string Settled = "settled";

    /// <summary>The checkout was aborted (a bank found something wrong, a vote timed out): nothing was paid.</summary>
    public const string Aborted = "aborted";

    /// <summary>The service refused a request of the demo (a problem code says why).</summary>
    public const string Refused = "refused";

    /// <summary>The service failed or did not answer for longer than the demo waits.</summary>
    public const string Unavailable = "unavailable";

    /// <summary>No outcome within the demo's outcome timeout (the checkout may still settle or abort later).</summary>
    public const string TimedOut = "timed_out";
}

/// <summary>A payer of the demo: its number (1 is the leader), wallet, bank, account, share and the notes it withdrew.</summary>
internal sealed record DemoPayer(int Number, string Wallet, string Institution, string Account, long ShareMinor, long DepositMinor, IReadOnlyList<long> NotesMinor)
{
    public bool Leader => Number == 1;

    public string Name => $"payer {Number}";
}

/// <summary>
/// A step S1..S10 as the demo saw it. <see cref="At"/> is the service's time for the steps of the checkout's steps list
/// (whole seconds) and the demo's clock for the steps the payers take (S1, S5; milliseconds). <see cref="DurationMs"/> is
/// the time from the end of the previous step to the end of this one on the demo's clock: a payer's step counts its calls;
/// a step of the service counts until the demo first saw it in the checkout (steps the service took within the same
/// answer show 0).
/// </summary>
internal sealed record DemoStep(string Step, string Detail, string At, long DurationMs, string Source);

/// <summary>An account of the demo as its bank's operator reads it, and (for a payer) the value of the notes its wallet holds.</summary>
internal sealed record DemoBalance(string Owner, string Institution, string Account, long BalanceMinor, long NotesMinor)
{
    /// <summary>What the owner has: the account's balance and its notes.</summary>
    public long TotalMinor => checked(BalanceMinor + NotesMinor);
}

/// <summary>A note as its wallet lists it.</summary>
internal sealed record DemoNote(string Serial, string Issuer, long AmountMinor, string State);

/// <summary>The notes of one payer's wallet.</summary>
internal sealed record DemoWalletNotes(int Payer, string Wallet, IReadOnlyList<DemoNote> Notes)
{
    /// <summary>The value of the notes that can still be spent (outstanding).</summary>
    public long OutstandingMinor => Notes.Where(n => n.State == "outstanding").Sum(n => n.AmountMinor);
}

/// <summary>Why a demo did not settle: the problem code and sentence, and what the demo was doing.</summary>
internal sealed record DemoProblem(string? Code, string Detail, int Status, string During);

/// <summary>The durations of a demo on its own clock.</summary>
/// <param name="SetupMs">Preparing the payers: accounts, deposits, wallets, notes.</param>
/// <param name="CheckoutMs">From opening the checkout until the outcome was seen.</param>
/// <param name="S2ToS10Ms">From the leader's S2 until the last S10 was seen; null when it did not get there.</param>
/// <param name="TotalMs">The whole demo, balances included.</param>
internal sealed record DemoTimings(long SetupMs, long CheckoutMs, long? S2ToS10Ms, long TotalMs);

/// <summary>
/// Everything a demo checkout did and saw, printed as tables on a terminal, as lines otherwise, and as one JSON document
/// with <c>--json</c> (<see cref="ToJson"/>).
/// </summary>
internal sealed class DemoReport
{
    public required Uri Service { get; init; }

    public required DemoSettings Settings { get; init; }

    public required DemoStoreEntry Store { get; init; }

    public required string OrderRef { get; init; }

    /// <summary>The payers, in the agreement's order (payer 1 is the leader).</summary>
    public IReadOnlyList<DemoPayer> Payers { get; set; } = [];

    public string Outcome { get; set; } = DemoOutcomes.Unavailable;

    public string? AgreementId { get; set; }

    /// <summary>The checkout as last read.</summary>
    public CheckoutInfo? Checkout { get; set; }

    public List<DemoStep> Steps { get; } = [];

    public ReceiptInfo? Receipt => Checkout?.Receipt;

    public IReadOnlyList<DemoBalance> BalancesBefore { get; set; } = [];

    public IReadOnlyList<DemoBalance> BalancesAfter { get; set; } = [];

    public IReadOnlyList<DemoWalletNotes> NotesBefore { get; set; } = [];

    public IReadOnlyList<DemoWalletNotes> NotesAfter { get; set; } = [];

    public DemoProblem? Problem { get; set; }

    public DemoTimings Timings { get; set; } = new(0, 0, null, 0);

    /// <summary>0 when settled; 1 otherwise (refused, aborted, timed out, unavailable).</summary>
    public int ExitCode => Outcome == DemoOutcomes.Settled ? 0 : 1;

    public DemoPayer? PayerOf(string wallet) => Payers.FirstOrDefault(p => string.Equals(p.Wallet, wallet, StringComparison.Ordinal));

    /// <summary>A service sentence with wallet ids replaced by "payer N" (for people; the JSON keeps the ids).</summary>
    public string Friendly(string detail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        foreach (var payer in Payers.Where(p => p.Wallet.Length > 0))
        {
            detail = detail
                .Replace("the leader " + payer.Wallet, $"the leader ({payer.Name})", StringComparison.Ordinal)
                .Replace("wallet " + payer.Wallet, payer.Name, StringComparison.Ordinal)
                .Replace(payer.Wallet, payer.Name, StringComparison.Ordinal);
        }

        if (AgreementId is not null)
        {
            detail = detail.Replace(AgreementId, DemoText.Short(AgreementId), StringComparison.Ordinal);
        }

        return detail;
    }

    /// <summary>The JSON document of <c>settle demo --json</c>.</summary>
    public JsonObject ToJson()
    {
        var document = new JsonObject
        {
            ["outcome"] = Outcome,
            ["agreementId"] = AgreementId,
            ["service"] = Service.AbsoluteUri,
            ["settings"] = new JsonObject
            {
                ["payers"] = Settings.Payers,
                ["banks"] = new JsonArray([.. Settings.PayerBanks.Select(b => (JsonNode)JsonValue.Create(b))]),
                ["storeBank"] = Settings.StoreBank,
                ["currency"] = Settings.Currency,
                ["amountMinor"] = Settings.AmountMinor,
            },
            ["checkout"] = CheckoutJson(),
            ["payers"] = new JsonArray([.. Payers.Select(p => (JsonNode)new JsonObject
            {
                ["payer"] = p.Number,
                ["leader"] = p.Leader,
                ["wallet"] = p.Wallet,
                ["institution"] = p.Institution,
                ["account"] = p.Account,
                ["shareMinor"] = p.ShareMinor,
                ["depositMinor"] = p.DepositMinor,
                ["notesMinor"] = new JsonArray([.. p.NotesMinor.Select(n => (JsonNode)JsonValue.Create(n))]),
            })]),
            ["steps"] = new JsonArray([.. Steps.Select(s => (JsonNode)new JsonObject
            {
                ["step"] = s.Step,
                ["detail"] = s.Detail,
                ["at"] = s.At,
                ["durationMs"] = s.DurationMs,
                ["source"] = s.Source,
            })]),
            ["receipt"] = ReceiptJson(),
            ["balances"] = new JsonObject { ["before"] = BalancesJson(BalancesBefore), ["after"] = BalancesJson(BalancesAfter) },
            ["notes"] = new JsonObject { ["before"] = NotesJson(NotesBefore), ["after"] = NotesJson(NotesAfter) },
            ["problem"] = Problem is null ? null : new JsonObject
            {
                ["code"] = Problem.Code,
                ["detail"] = Problem.Detail,
                ["status"] = Problem.Status,
                ["during"] = Problem.During,
            },
            ["timings"] = new JsonObject
            {
                ["setupMs"] = Timings.SetupMs,
                ["checkoutMs"] = Timings.CheckoutMs,
                ["s2ToS10Ms"] = Timings.S2ToS10Ms,
                ["totalMs"] = Timings.TotalMs,
            },
        };
        return document;
    }

    /// <summary>The serial, issuer and amount of a signed note (for people: the service has checked it).</summary>
    public static DemoNote ReadNote(JsonObject note, string state)
    {
        ArgumentNullException.ThrowIfNull(note);
        return new DemoNote(
            note["serial"]?.GetValue<string>() ?? "?",
            note["issuer"]?.GetValue<string>() ?? "?",
            note["amountMinor"]?.GetValue<long>() ?? 0,
            state);
    }

    private JsonObject? CheckoutJson() => Checkout is not { } c ? null : new JsonObject
    {
        ["store"] = c.Store,
        ["checkoutId"] = c.CheckoutId,
        ["orderRef"] = c.OrderRef,
        ["currency"] = c.Currency,
        ["totalMinor"] = c.TotalMinor,
        ["stage"] = c.Stage,
        ["expiresAt"] = c.ExpiresAt,
        ["abortReason"] = c.AbortReason is null ? null : new JsonObject { ["code"] = c.AbortReason.Code, ["detail"] = c.AbortReason.Detail },
    };

    private JsonObject? ReceiptJson() => Receipt is not { } r ? null : new JsonObject
    {
        ["agreementId"] = r.AgreementId,
        ["store"] = r.Store,
        ["orderRef"] = r.OrderRef,
        ["currency"] = r.Currency,
        ["totalMinor"] = r.TotalMinor,
        ["payee"] = new JsonObject { ["institution"] = r.Payee.Institution, ["account"] = r.Payee.Account },
        ["payers"] = new JsonArray([.. r.Payers.Select(line => (JsonNode)new JsonObject
        {
            ["payer"] = PayerOf(line.Wallet)?.Number,
            ["wallet"] = line.Wallet,
            ["institution"] = line.Institution,
            ["paidMinor"] = line.PaidMinor,
            ["changeMinor"] = line.ChangeMinor,
            ["changeNotes"] = new JsonArray([.. line.ChangeNotes.Select(n => ReadNote(n, "outstanding")).Select(n => (JsonNode)new JsonObject
            {
                ["serial"] = n.Serial,
                ["issuer"] = n.Issuer,
                ["amountMinor"] = n.AmountMinor,
            })]),
        })]),
        ["settledAt"] = r.SettledAt,
    };

    private static JsonArray BalancesJson(IReadOnlyList<DemoBalance> balances) => new([.. balances.Select(b => (JsonNode)new JsonObject
    {
        ["owner"] = b.Owner,
        ["institution"] = b.Institution,
        ["account"] = b.Account,
        ["balanceMinor"] = b.BalanceMinor,
        ["notesMinor"] = b.NotesMinor,
        ["totalMinor"] = b.TotalMinor,
    })]);

    private static JsonArray NotesJson(IReadOnlyList<DemoWalletNotes> wallets) => new([.. wallets.Select(w => (JsonNode)new JsonObject
    {
        ["payer"] = w.Payer,
        ["wallet"] = w.Wallet,
        ["notes"] = new JsonArray([.. w.Notes.Select(n => (JsonNode)new JsonObject
        {
            ["serial"] = n.Serial,
            ["issuer"] = n.Issuer,
            ["amountMinor"] = n.AmountMinor,
            ["state"] = n.State,
        })]),
    })]);
}
