using Microsoft.Playwright;
using OrleansSettlement.Service.Tests.Api;

namespace OrleansSettlement.Browser.Tests.Pages;

/// <summary>
/// One POS page and three wallet pages, each in its own browser context (its own IndexedDB: its own key), settle a group
/// checkout by clicking, as a person would after <c>./settle up</c>; and a run where one payer's app accepted another
/// agreement ends refused with <c>agreement_mismatch</c> on every page. Screenshots go to TestResults/screenshots.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class GroupCheckoutPageTests(ApiFixture api, Chromium chromium) : IClassFixture<Chromium>, IDisposable
{
    private const float Wait = 60_000;

    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task ThreeWalletsAndThePos_SettleByClicking_ReceiptAndChangeOnEveryPage()
    {
        var (pos, wallets) = await OpenPagesAsync();
        await RunAsync(pos, wallets, differing: null);

        await Expect(pos.Locator("#outcome")).ToContainTextAsync("Settled: 90.00 EUR", new() { Timeout = Wait });
        await Expect(pos.Locator("#steps li.done")).ToHaveCountAsync(10, new() { Timeout = Wait });
        foreach (var wallet in wallets)
        {
            await Expect(wallet.Locator("#outcome")).ToContainTextAsync("Settled", new() { Timeout = Wait });
            await Expect(wallet.Locator("#change")).ToHaveTextAsync("I paid 30.00; my change: 20.00", new() { Timeout = Wait });
            await Expect(wallet.Locator("#balance")).ToHaveTextAsync("20.00", new() { Timeout = Wait });
        }

        await ScreenshotsAsync("settled", pos, wallets);
        await api.AssertInvariantsAsync();
    }

    [Fact]
    public async Task OnePayersAgreementDiffers_RefusedWithAgreementMismatchOnEveryPage()
    {
        var (pos, wallets) = await OpenPagesAsync();

        // Carol's app gets the agreement with another order reference (as if it showed her another deal).
        await wallets[2].RouteAsync("**/v1/stores/*/checkouts/*", async route =>
        {
            var response = await route.FetchAsync();
            var body = await response.TextAsync();
            await route.FulfillAsync(new() { Response = response, Body = body.Replace("\"orderRef\":\"pos-", "\"orderRef\":\"other-", StringComparison.Ordinal) });
        });
        await RunAsync(pos, wallets, differing: 2);

        foreach (var page in wallets.Prepend(pos))
        {
            await Expect(page.Locator("#reason-code")).ToHaveTextAsync("agreement_mismatch", new() { Timeout = Wait });
            await Expect(page.Locator("#stage")).ToHaveTextAsync("aborted");
        }

        await ScreenshotsAsync("refused", pos, wallets);
        await api.AssertInvariantsAsync();
    }

    public void Dispose() => _parties.Dispose();

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    /// <summary>A store at its bank, a payers' bank; the POS page logged in with the store's token; three wallet pages
    /// with demo accounts opened through the bank operator's token and 50.00 withdrawn as one note.</summary>
    private async Task<(IPage Pos, IPage[] Wallets)> OpenPagesAsync()
    {
        var storeBank = await _parties.CreateBankAsync("bank-s");
        var payerBank = await _parties.CreateBankAsync("bank-p");
        var store = await _parties.CreateStoreAsync(storeBank, "cafe");
        var pos = await NewPageAsync($"/pos/#store={store.Name}&token={store.Token.Token}");

        var wallets = new List<IPage>();
        foreach (var name in new[] { "alice", "bob", "carol" })
        {
            var page = await NewPageAsync($"/wallet/#w={name}&bank={payerBank.Name}&operator={payerBank.OperatorToken.Token}");
            await page.ClickAsync("#open-account");
            await Expect(page.Locator("#registered")).ToHaveTextAsync("yes", new() { Timeout = Wait });
            await page.ClickAsync("#withdraw");
            await Expect(page.Locator("#balance")).ToHaveTextAsync("50.00", new() { Timeout = Wait });
            wallets.Add(page);
        }

        return (pos, [.. wallets]);
    }

    /// <summary>The clerk opens a 90.00 checkout; each payer opens the join link and joins; Alice proposes; everyone accepts.</summary>
    private static async Task RunAsync(IPage pos, IPage[] wallets, int? differing)
    {
        await pos.ClickAsync("#open");
        await Expect(pos.Locator("#qr img")).ToBeVisibleAsync(new() { Timeout = Wait });
        var link = await pos.Locator("#join-link").GetAttributeAsync("href");
        Assert.NotNull(link);
        // Visible is not loaded: wait (up to Wait) for the image to have decoded, so a QR code that never loads fails here.
        try
        {
            await pos.WaitForFunctionAsync("() => { const img = document.querySelector('#qr img'); return !!img && img.complete && img.naturalWidth > 0; }", null, new() { Timeout = Wait });
        }
        catch (TimeoutException)
        {
            Assert.Fail("the QR code image did not load");
        }

        foreach (var wallet in wallets)
        {
            await wallet.GotoAsync(link);
            await Expect(wallet.Locator("#join-target")).Not.ToHaveValueAsync("", new() { Timeout = Wait });
            await wallet.ClickAsync("#join");
        }

        await Expect(pos.Locator("#payers li")).ToHaveCountAsync(3, new() { Timeout = Wait });
        await Expect(wallets[0].Locator("#joined li")).ToHaveCountAsync(3, new() { Timeout = Wait });
        await Expect(wallets[0].Locator("#propose")).ToBeEnabledAsync(new() { Timeout = Wait });
        await wallets[0].ClickAsync("#propose");
        foreach (var wallet in wallets)
        {
            await Expect(wallet.Locator("#accept")).ToBeEnabledAsync(new() { Timeout = Wait });
            await Expect(wallet.Locator("#my-share")).ToHaveTextAsync("30.00");
        }

        // The others first, then the leader, whose page bundles as soon as every contribution is in its mailbox. A payer
        // whose agreement differs tells the store, which aborts the checkout: from then on no page offers "accept" (the
        // payers after it never get to click, which is the point).
        foreach (var i in new[] { 1, 2, 0 })
        {
            await wallets[i].ClickAsync("#accept");
            if (i == differing)
            {
                await Expect(wallets[i].Locator("#log")).ToContainTextAsync("agreement_mismatch", new() { Timeout = Wait });
                break;
            }
        }
    }

    private async Task<IPage> NewPageAsync(string path)
    {
        var context = await chromium.Browser.NewContextAsync(new() { BaseURL = api.BaseAddress.ToString(), ViewportSize = new() { Width = 900, Height = 1100 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        return page;
    }

    private static async Task ScreenshotsAsync(string run, IPage pos, IPage[] wallets)
    {
        await pos.ScreenshotAsync(new() { Path = Path.Combine(Chromium.ScreenshotFolder, $"{run}-pos.png"), FullPage = true });
        for (var i = 0; i < wallets.Length; i++)
        {
            await wallets[i].ScreenshotAsync(new() { Path = Path.Combine(Chromium.ScreenshotFolder, $"{run}-wallet-{i + 1}.png"), FullPage = true });
        }
    }
}
