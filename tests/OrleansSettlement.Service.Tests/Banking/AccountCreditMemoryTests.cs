using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Service.Tests.Kit;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>
/// The payee account's memory of credits (ADR 0020) on a real silo: a credit is recognized for as long as a copy of it
/// can come (until its settlement completed, plus a grace), and the stored state is bounded by the credits in flight.
/// </summary>
[Collection(CreditMemoryCollection.Name)]
public sealed class AccountCreditMemoryTests(CreditMemoryFixture fixture, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(30);

    private readonly SettlementKit _kit = new(fixture.Grains);

    /// <summary>
    /// A payee bank part runs S10 (and its credit) again whenever the settlement grain sends the decision again, until its
    /// acknowledgement is recorded. When that takes long (the part failed after its credit and stayed down) and the store
    /// was credited for many other agreements meanwhile, the ring of ADR 0013 had forgotten the credit: its second copy
    /// was applied again.
    /// </summary>
    [Fact]
    public async Task ApplyCredit_AgainLongAfterAndManyCreditsLater_BeforeItsSettlementCompleted_CreditsOnce()
    {
        var account = await OpenStoreAccountAsync();
        var agreementId = SettlementKit.NewTokenHash();
        Assert.Equal(700, SettlementKit.Ok(await account.ApplyCredit(agreementId, 700), "first credit").BalanceMinor);

        fixture.Clock.Advance(TimeSpan.FromHours(1));
        for (var i = 0; i < 300; i++)
        {
            SettlementKit.Ok(await account.ApplyCredit(SettlementKit.NewTokenHash(), 1), "another credit");
        }

        // Give the account's fallback check (every CreditCheckAfter / 4) several turns to ask the settlement grain, which
        // has not completed (it does not even exist here), so it must not let the credit go.
        await Task.Delay(CreditMemoryFixture.CreditCheckAfter * 2);
        SettlementKit.Ok(await account.ApplyCredit(SettlementKit.NewTokenHash(), 1), "a write after the checks");

        var again = SettlementKit.Ok(await account.ApplyCredit(agreementId, 700), "the late copy");
        Assert.Equal(700 + 301, again.BalanceMinor);
        Assert.Equal(700 + 301, (await account.Get())!.BalanceMinor);
    }

    [Fact]
    public async Task CompletedSettlement_CreditIsKeptThroughTheGraceThenDroppedFromTheStoredRow()
    {
        var (account, agreementId) = await SettleOneCheckoutAsync();

        // The settlement grain's word that it completed cuts the credit to its key at the account's next write.
        var kept = await SettlementKit.Eventually(
            async () =>
            {
                await DepositAsync(account);
                return await fixture.ReadAccountRowAsync(account);
            },
            row => AccountGrain.FindCredit(row, agreementId) is { InFlight: false },
            FlowTimeout);
        Assert.Equal(ThreePayers.TotalMinor, AccountGrain.FindCredit(kept, agreementId)!.AmountMinor);
        Assert.DoesNotContain(kept.Credits, c => c.AgreementId == agreementId);

        // Within the grace a late copy of the credit is still recognized.
        var balance = (await account.Get())!.BalanceMinor;
        Assert.Equal(balance, SettlementKit.Ok(await account.ApplyCredit(agreementId, ThreePayers.TotalMinor), "late copy").BalanceMinor);

        fixture.Clock.Advance(new BankingOptions().CreditGrace + TimeSpan.FromSeconds(1));
        await DepositAsync(account);
        var row = await fixture.ReadAccountRowAsync(account);
        Assert.Null(AccountGrain.FindCredit(row, agreementId));
        Assert.Equal(balance + 1, row.BalanceMinor);
    }

    [Fact]
    public async Task LostCreditSettled_TheAccountAsksTheSettlementGrainAndForgetsOnlyThen()
    {
        fixture.LoseCreditSettled.Lose = true;
        var lostBefore = fixture.LoseCreditSettled.Lost;
        IAccountGrain account;
        string agreementId;
        try
        {
            (account, agreementId) = await SettleOneCheckoutAsync();
            await SettlementKit.Eventually(() => Task.FromResult(fixture.LoseCreditSettled.Lost), lost => lost > lostBefore, FlowTimeout);
        }
        finally
        {
            fixture.LoseCreditSettled.Lose = false;
        }

        // Without the word, the credit keeps its full id until the account's check asks the settlement grain (after
        // CreditCheckAfter), which answers that it completed.
        var row = await SettlementKit.Eventually(
            async () =>
            {
                await DepositAsync(account);
                return await fixture.ReadAccountRowAsync(account);
            },
            r => AccountGrain.FindCredit(r, agreementId) is { InFlight: false },
            FlowTimeout);
        Assert.Equal(ThreePayers.TotalMinor, AccountGrain.FindCredit(row, agreementId)!.AmountMinor);

        fixture.Clock.Advance(new BankingOptions().CreditGrace + TimeSpan.FromSeconds(1));
        await DepositAsync(account);
        Assert.Null(AccountGrain.FindCredit(await fixture.ReadAccountRowAsync(account), agreementId));
    }

    [Fact]
    public async Task ManySettledCredits_TheStoredStateStaysSmall()
    {
        const int credits = 1_000;
        var account = await OpenStoreAccountAsync();
        var before = fixture.StoredSize(await fixture.ReadAccountRowAsync(account));
        for (var i = 0; i < credits; i++)
        {
            var agreementId = SettlementKit.NewTokenHash();
            SettlementKit.Ok(await account.ApplyCredit(agreementId, 100), "credit");
            await account.CreditSettled(agreementId);
        }

        // Within the grace every credit is kept, by its 8-byte key and its amount only (ADR 0021).
        await DepositAsync(account);
        var inGrace = await fixture.ReadAccountRowAsync(account);
        Assert.Equal(credits, inGrace.SettledCreditCount);
        Assert.Empty(inGrace.Credits);
        var perCredit = (fixture.StoredSize(inGrace) - before) / (double)credits;
        output.WriteLine($"{credits} credits within the grace: {fixture.StoredSize(inGrace)} bytes of state ({perCredit:F1} per credit; {before} before)");
        Assert.True(perCredit < 20, $"a remembered credit takes {perCredit:F1} bytes of state");

        // After it, none: the state is what it was before the credits, plus one deposit.
        fixture.Clock.Advance(new BankingOptions().CreditGrace + TimeSpan.FromSeconds(1));
        await DepositAsync(account);
        var after = await fixture.ReadAccountRowAsync(account);
        Assert.Empty(after.Credits);
        Assert.Empty(after.SettledCredits);
        Assert.Equal(credits * 100 + 2, after.BalanceMinor);
        output.WriteLine($"after the grace: {fixture.StoredSize(after)} bytes of state");
        Assert.True(fixture.StoredSize(after) < 2_048, $"the account's state is {fixture.StoredSize(after)} bytes");
    }

    public void Dispose() => _kit.Dispose();

    private async Task<IAccountGrain> OpenStoreAccountAsync()
    {
        var bank = await _kit.CreateBank("credit-bank");
        var store = await _kit.CreateStore(bank, "till");
        return _kit.Account(store.Institution, store.Account);
    }

    private static async Task DepositAsync(IAccountGrain account) =>
        SettlementKit.Ok(await account.Deposit(SettlementKit.UniqueName("deposit"), 1), "deposit");

    /// <summary>One real group checkout to its completed settlement; the store's account and the agreement id.</summary>
    private async Task<(IAccountGrain Account, string AgreementId)> SettleOneCheckoutAsync()
    {
        var world = await ThreePayers.Create(_kit);
        // The kit dates the checkout's expiry by the system clock; the silo's clock may be ahead of it.
        var checkout = await world.OpenCheckout(_kit, fixture.Clock.Offset + TimeSpan.FromMinutes(10));
        await checkout.RunToChallenges(world.Alice, world.Shares);
        await checkout.AnswerAll();
        await checkout.WaitForStage(CheckoutStage.Settled, FlowTimeout);
        await SettlementKit.Eventually(() => _kit.Settlement(checkout.AgreementId).Get(), s => s?.Stage == SettlementStage.Completed, FlowTimeout);
        return (_kit.Account(world.Store.Institution, world.Store.Account), checkout.AgreementId);
    }
}
