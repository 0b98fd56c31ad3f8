using Orleans.Core.Internal;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>
/// The checkout session before S7 lives in the memory of the activation that opened it; the row is written at Open and
/// at the S7 hand-off (ADR 0017). Here, on a real silo on Azurite: a session lost with its activation ends the checkout
/// with <c>checkout_session_lost</c> and nothing moves; a hand-off cannot land once another activation has ended the
/// session; a handed-off checkout is followed, never ended, by a fresh activation, which rebuilds its outcome from the
/// settlement grain. "Another activation" writes through the silo's own storage provider, as in
/// <see cref="StaleActivationTests"/>.
/// </summary>
[Collection(SettlementCollection.Name)]
public sealed class CheckoutSessionTests(SettlementFixture fixture) : IDisposable
{
    private const string SessionLost = "checkout_session_lost";

    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task SessionBeforeS7_KeptInMemoryOnly_ThenLostWithItsActivation_NextCallAbortsAndNothingMoved()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        SettlementKit.Ok(await checkout.Answer(world.Bob), "S5 from Bob");

        // Proposal, bundle, challenges and one response are the activation's only: the row is as Open wrote it.
        var row = await fixture.ReadRowAsync<CheckoutState>("checkout", checkout.Grain);
        Assert.Equal(CheckoutStage.Open, row.State!.Stage);
        Assert.Null(row.State.AgreementId);
        Assert.Empty(row.State.Payers);

        await checkout.Grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var ended = await SettlementKit.Eventually(checkout.Get, view => view.Stage == CheckoutStage.Aborted);

        Assert.Equal(SessionLost, ended.AbortReason!.Code);
        var stored = await fixture.ReadRowAsync<CheckoutState>("checkout", checkout.Grain);
        Assert.Equal(CheckoutStage.Aborted, stored.State!.Stage);
        Assert.Equal(SessionLost, stored.State.AbortReason!.Code);

        // The payers' apps still hold their challenges; answering one is refused with the code, and the store opens anew.
        var late = await checkout.Answer(world.Alice);
        Assert.False(late.IsOk);
        Assert.Equal(SessionLost, late.Refusal!.Code);
        await AssertNothingMoved(world, checkout);
    }

    [Fact]
    public async Task HandOff_AfterAnotherActivationEndedTheSession_DoesNotLand_AndNothingIsBegun()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        await checkout.AnswerAll(world.Carol);

        // Another activation (with no session) ends the checkout: its write lands on the row Open wrote.
        var row = await fixture.ReadRowAsync<CheckoutState>("checkout", checkout.Grain);
        Assert.Equal(CheckoutStage.Open, row.State!.Stage);
        row.State.Stage = CheckoutStage.Aborted;
        row.State.AbortReason = Refusal.Of(Protocol.ProtocolErrorCode.CheckoutSessionLost, "ended by another activation (test)");
        await fixture.WriteRowAsync("checkout", checkout.Grain, row);

        // The last response completes the session in this activation's memory, but its hand-off write is conditional on
        // the row it last wrote: it conflicts, the activation reads the row and follows it.
        var last = await checkout.Answer(world.Carol);

        Assert.False(last.IsOk);
        Assert.Equal(SessionLost, last.Refusal!.Code);
        var view = await checkout.Get();
        Assert.Equal(CheckoutStage.Aborted, view.Stage);
        Assert.Equal(SessionLost, view.AbortReason!.Code);
        Assert.Null(await _kit.Settlement(checkout.AgreementId).Get());
        await AssertNothingMoved(world, checkout);
    }

    [Fact]
    public async Task HandedOffCheckout_AtAFreshActivation_IsFollowedNotEnded_AndItsReceiptIsRebuiltFromTheSettlement()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        Assert.Equal(CheckoutStage.Settling, (await checkout.AnswerAll()).Stage);
        var settled = await checkout.WaitForStage(CheckoutStage.Settled);

        // The hand-off is the last write: the outcome is the settlement grain's.
        var row = await fixture.ReadRowAsync<CheckoutState>("checkout", checkout.Grain);
        Assert.Equal(CheckoutStage.Settling, row.State!.Stage);
        Assert.Equal(checkout.AgreementId, row.State.AgreementId);
        Assert.Equal(3, row.State.Payers.Count);
        Assert.All(row.State.Payers, p => Assert.NotNull(p.ResponseJson));

        await checkout.Grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        await WaitUntilInactive(checkout.Grain);
        var rebuilt = await checkout.Get();

        Assert.Equal(CheckoutStage.Settled, rebuilt.Stage);
        Assert.Equal(settled.Receipt, rebuilt.Receipt, ReceiptComparer.Instance);
        Assert.Equal(CheckoutStage.Settling, (await fixture.ReadRowAsync<CheckoutState>("checkout", checkout.Grain)).State!.Stage);
        Assert.Equal(ThreePayers.TotalMinor, await _kit.Balance(world.BankC, world.Store.Account));
        await fixture.AssertInvariantsAsync();
    }

    public void Dispose() => _kit.Dispose();

    private async Task AssertNothingMoved(ThreePayers world, GroupCheckout checkout)
    {
        foreach (var note in world.AllNotes)
        {
            Assert.Equal(NoteState.Outstanding, (await _kit.Note(note).Get())!.State);
        }

        Assert.Equal(0, await _kit.Balance(world.BankC, world.Store.Account));
        Assert.Null(await _kit.Settlement(checkout.AgreementId).Get());
        await fixture.AssertInvariantsAsync();
    }

    private async Task WaitUntilInactive(IAddressable grain)
    {
        var management = _kit.Grains.GetGrain<IManagementGrain>(0);
        await SettlementKit.Eventually(async () => await management.GetActivationAddress(grain), address => address is null);
    }

    /// <summary>Receipts by value (their payer lists are lists, which records compare by reference).</summary>
    private sealed class ReceiptComparer : IEqualityComparer<Receipt?>
    {
        public static readonly ReceiptComparer Instance = new();

        private static readonly ReceiptLine[] NoLines = [];

        private static readonly string[] NoNotes = [];

        public bool Equals(Receipt? x, Receipt? y) =>
            x is not null && y is not null
            && (x with { Payers = NoLines }) == (y with { Payers = NoLines })
            && x.Payers.Count == y.Payers.Count
            && x.Payers.Zip(y.Payers).All(p => p.First with { ChangeNoteJsons = NoNotes } == p.Second with { ChangeNoteJsons = NoNotes } && p.First.ChangeNoteJsons.SequenceEqual(p.Second.ChangeNoteJsons));

        public int GetHashCode(Receipt? obj) => obj?.AgreementId.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
