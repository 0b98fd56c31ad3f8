using System.Text.Json.Nodes;
using Orleans.Core.Internal;
using OrleansSettlement.Cli.Demo;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Api;

namespace OrleansSettlement.Service.Tests.Demo;

/// <summary>
/// <c>settle demo</c>'s logic in-process against the real API and silo of <see cref="ApiFixture"/>: seeded as
/// <c>settle up</c> seeds, then whole group checkouts through the SDK over HTTP, checked by their receipts, the balances
/// the banks' operators read and the wallets' notes.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DemoRunnerTests(ApiFixture api, DemoTokensFolder folder) : IClassFixture<DemoTokensFolder>
{
    [Fact]
    public async Task Demo_ThreePayersTwoBanks_SettlesAndMovesExactlyTheShares()
    {
        var report = await RunAsync(new DemoSettings(3, 2, DemoCatalog.StoreBank, 12_000));

        AssertSettled(report, expectedShares: [4_000, 4_000, 4_000]);
        Assert.Equal(["bank-a", "bank-b", "bank-a"], report.Payers.Select(p => p.Institution));
        Assert.Equal(new PayeeInfo(DemoCatalog.StoreBank, DemoCatalog.AccountOf(DemoCatalog.Store)), report.Receipt!.Payee);
        Assert.Equal(DemoCatalog.Store, report.Receipt.Store);
        await api.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Demo_FourPayersOneBankStoreAtThatBank_SettlesWithUnevenShares()
    {
        var report = await RunAsync(new DemoSettings(4, 1, "bank-a", 10_001));

        AssertSettled(report, expectedShares: [2_501, 2_500, 2_500, 2_500]);
        Assert.All(report.Payers, p => Assert.Equal("bank-a", p.Institution));
        Assert.Equal(new PayeeInfo("bank-a", DemoCatalog.AccountOf("demo-store-bank-a")), report.Receipt!.Payee);

        // Only one institution takes part: one S8 vote and one S10.
        Assert.Single(report.Steps, s => s.Step == "S8");
        Assert.Single(report.Steps, s => s.Step == "S10");
        await api.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Demo_CheckoutSessionLostBeforeS7_OpensASecondCheckoutThatSettles()
    {
        // The checkout's session lives in its activation's memory until S7 (ADR 0017). Dropping every checkout activation
        // right after the first S1 is what a silo dying under the demo does to it: the next call finds the session gone.
        var lost = new SessionLoss(api.Grains);
        var path = await SeedAsync();
        var parties = await new DemoSeeder(api.Client, path).PrepareAsync(DemoCatalog.StoreBank, ["bank-a", "bank-b"], CancellationToken.None);
        var report = await new DemoRunner(api.Client, parties, lost).RunAsync(
            new DemoSettings(3, 2, DemoCatalog.StoreBank, 12_000) with { OutcomeTimeout = TimeSpan.FromSeconds(30) },
            CancellationToken.None);

        Assert.True(lost.Dropped > 0, "no checkout activation was dropped: the test did not lose a session");
        var retry = Assert.Single(lost.Notes, n => n.Contains("opens a new checkout", StringComparison.Ordinal));
        Assert.Contains("checkout_session_lost", retry, StringComparison.Ordinal);
        Assert.Contains("attempt 2 of 3", retry, StringComparison.Ordinal);
        AssertSettled(report, expectedShares: [4_000, 4_000, 4_000], attempts: 2);
        await api.AssertInvariantsAsync();
    }

    [Fact]
    public async Task Demo_Json_HasTheDocumentedFields()
    {
        var report = await RunAsync(new DemoSettings(2, 2, DemoCatalog.StoreBank, 999));
        var json = JsonNode.Parse(report.ToJson().ToJsonString())!.AsObject();

        Assert.Equal("settled", json["outcome"]!.GetValue<string>());
        Assert.Equal(report.AgreementId, json["agreementId"]!.GetValue<string>());
        Assert.Equal("settled", json["checkout"]!["stage"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(json["checkout"]!["checkoutId"]!.GetValue<string>()));
        var steps = json["steps"]!.AsArray();
        Assert.NotEmpty(steps);
        foreach (var step in steps)
        {
            Assert.Matches("^S([1-9]|10)$", step!["step"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(step["detail"]!.GetValue<string>()));
            Assert.True(DateTimeOffset.TryParse(step["at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
            Assert.True(step["durationMs"]!.GetValue<long>() >= 0);
        }

        var receipt = json["receipt"]!;
        Assert.Equal(999, receipt["totalMinor"]!.GetValue<long>());
        Assert.Equal(999, receipt["payers"]!.AsArray().Sum(p => p!["paidMinor"]!.GetValue<long>()));
        foreach (var payer in receipt["payers"]!.AsArray())
        {
            var changeNote = Assert.Single(payer!["changeNotes"]!.AsArray());
            Assert.Equal(payer["changeMinor"]!.GetValue<long>(), changeNote!["amountMinor"]!.GetValue<long>());
            Assert.Equal(22, changeNote["serial"]!.GetValue<string>().Length);
        }

        foreach (var when in new[] { "before", "after" })
        {
            var balances = json["balances"]![when]!.AsArray();
            Assert.Equal(3, balances.Count);
            Assert.All(balances, b => Assert.NotNull(b!["balanceMinor"]));
            Assert.Equal(2, json["notes"]![when]!.AsArray().Count);
        }

        Assert.Null(json["problem"]);
        Assert.True(json["timings"]!["s2ToS10Ms"]!.GetValue<long>() >= 0);
    }

    [Fact]
    public async Task Seed_RunAgain_KeepsTheTokensAndTheFileIsOwnerOnly()
    {
        var path = await SeedAsync();
        var first = await File.ReadAllTextAsync(path);

        await SeedAsync();

        Assert.Equal(first, await File.ReadAllTextAsync(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        var tokens = DemoTokens.Load(path)!;
        Assert.Equal(DemoCatalog.Institutions.Order(StringComparer.Ordinal), tokens.Institutions.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(32, Convert.FromBase64String(Base64(tokens.Stores[DemoCatalog.Store].Token)).Length);
    }

    [Fact]
    public async Task Prepare_TokensOfAnotherService_RefusesSayingHowToReset()
    {
        await SeedAsync();
        var stranger = Path.Combine(folder.Path, "stranger.json");
        var tokens = DemoTokens.Empty();
        foreach (var institution in DemoCatalog.Institutions)
        {
            tokens.EnsureInstitution(institution);
        }

        tokens.Save(stranger);

        var refusal = await Assert.ThrowsAsync<DemoSetupException>(() => new DemoSeeder(api.Client, stranger).PrepareAsync(DemoCatalog.StoreBank, ["bank-a"], CancellationToken.None));

        Assert.Contains("not its credential", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("--reset", refusal.Message, StringComparison.Ordinal);
    }

    private static void AssertSettled(DemoReport report, long[] expectedShares, int attempts = 1)
    {
        Assert.True(report.Outcome == DemoOutcomes.Settled, $"{report.Outcome}: {report.Problem}");
        Assert.Equal(0, report.ExitCode);
        var total = expectedShares.Sum();
        var receipt = Assert.IsType<ReceiptInfo>(report.Receipt);
        Assert.Equal(report.AgreementId, receipt.AgreementId);
        Assert.Equal(total, receipt.TotalMinor);
        Assert.Equal(total, receipt.Payers.Sum(p => p.PaidMinor));
        Assert.Equal(expectedShares, report.Payers.Select(p => p.ShareMinor));

        // Every step of the method happened, in order of first appearance.
        var firsts = Enumerable.Range(1, 10).Select(n => report.Steps.FindIndex(s => s.Step == $"S{n}")).ToList();
        Assert.DoesNotContain(-1, firsts);
        Assert.Equal(firsts.Order(), firsts);
        // The report keeps every attempt's steps; an attempt that lost its session got as far as S1.
        Assert.Equal(attempts * (expectedShares.Length - 1), report.Steps.Count(s => s.Step == "S1"));
        Assert.Equal(expectedShares.Length, report.Steps.Count(s => s.Step == "S5"));

        foreach (var payer in report.Payers)
        {
            var line = Assert.Single(receipt.Payers, l => l.Wallet == payer.Wallet);
            Assert.Equal(payer.ShareMinor, line.PaidMinor);
            Assert.Equal(payer.NotesMinor.Sum() - payer.ShareMinor, line.ChangeMinor);
            Assert.True(line.ChangeMinor > 0, "the notes are worth more than the share: change comes back");

            // Overall (account + notes) each payer has exactly its share less; its account itself did not move.
            var before = Assert.Single(report.BalancesBefore, b => b.Account == payer.Account);
            var after = Assert.Single(report.BalancesAfter, b => b.Account == payer.Account);
            Assert.Equal(payer.ShareMinor, before.TotalMinor - after.TotalMinor);
            Assert.Equal(before.BalanceMinor, after.BalanceMinor);
            Assert.Equal(payer.DepositMinor, before.TotalMinor);

            // Its notes: those withdrawn spent, the change note outstanding.
            var notesAfter = Assert.Single(report.NotesAfter, n => n.Wallet == payer.Wallet);
            Assert.Equal(line.ChangeMinor, notesAfter.OutstandingMinor);
            var changeSerial = Assert.Single(line.ChangeNotes).ToJsonString();
            Assert.Contains(notesAfter.Notes, n => n.State == "outstanding" && changeSerial.Contains(n.Serial, StringComparison.Ordinal));
            var notesBefore = Assert.Single(report.NotesBefore, n => n.Wallet == payer.Wallet);
            Assert.All(notesBefore.Notes, n => Assert.Contains(notesAfter.Notes, a => a.Serial == n.Serial && a.State == "spent"));
        }

        var storeBefore = report.BalancesBefore[^1];
        var storeAfter = report.BalancesAfter[^1];
        Assert.Equal(report.Store.Account, storeBefore.Account);
        Assert.Equal(total, storeAfter.BalanceMinor - storeBefore.BalanceMinor);
        Assert.NotNull(report.Timings.S2ToS10Ms);
    }

    private static string Base64(string base64Url) =>
        base64Url.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (base64Url.Length % 4)) % 4);

    private async Task<string> SeedAsync()
    {
        var path = Path.Combine(folder.Path, "demo.json");
        await new DemoSeeder(api.Client, path).SeedAsync(api.AdminToken.Token, CancellationToken.None);
        return path;
    }

    private async Task<DemoReport> RunAsync(DemoSettings settings)
    {
        var path = await SeedAsync();
        var parties = await new DemoSeeder(api.Client, path).PrepareAsync(settings.StoreBank, settings.PayerBanks, CancellationToken.None);
        return await new DemoRunner(api.Client, parties).RunAsync(settings with { OutcomeTimeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
    }
}

/// <summary>
/// Progress that, at the demo's first S1, drops every checkout activation of the silo (as a silo that dies takes its
/// sessions with it), and keeps the demo's notes.
/// </summary>
internal sealed class SessionLoss(IGrainFactory grains) : IDemoProgress
{
    private int _firstS1;

    public int Dropped { get; private set; }

    public List<string> Notes { get; } = [];

    public void Phase(string text)
    {
    }

    public void Note(string text)
    {
        lock (Notes)
        {
            Notes.Add(text);
        }
    }

    public void Step(DemoStep step, string detail)
    {
        if (step.Step == "S1" && Interlocked.Exchange(ref _firstS1, 1) == 0)
        {
            Dropped = DropCheckoutsAsync().GetAwaiter().GetResult();
        }
    }

    public void Waiting(string text, TimeSpan waited)
    {
    }

    private async Task<int> DropCheckoutsAsync()
    {
        var active = await grains.GetGrain<IManagementGrain>(0).GetActiveGrains(GrainType.Create("checkout"));
        foreach (var id in active)
        {
            await grains.GetGrain(id).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        }

        return active.Count;
    }
}

/// <summary>A scratch folder for the demo's tokens file, shared by the tests of one class (they seed one service).</summary>
public sealed class DemoTokensFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("settle-demo-test-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A scratch folder left in /tmp is harmless.
        }
    }
}
