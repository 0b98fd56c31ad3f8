using OrleansSettlement.Contracts;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Invariants;

/// <summary>
/// The invariant checks themselves: they pass on a settled checkout and fail when money appears from nowhere. They run
/// on a silo and Azurite of their own, since they break the invariants on purpose.
/// </summary>
public sealed class SystemInvariantsTests : IClassFixture<SettlementFixture>, IDisposable
{
    private readonly SettlementFixture _fixture;
    private readonly SettlementKit _kit;

    public SystemInvariantsTests(SettlementFixture fixture)
    {
        _fixture = fixture;
        _kit = new SettlementKit(fixture.Grains);
    }

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task Check_AfterASettledCheckout_FindsNoViolationAndCountsIt()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        await checkout.AnswerAll();
        await checkout.WaitForStage(CheckoutStage.Settled, TimeSpan.FromSeconds(20));

        var report = await SystemInvariants.CheckAsync(_fixture.StorageConnectionString, _fixture.StorageSerializer);

        Assert.Empty(report.Violations);
        Assert.True(report.Committed >= 1);
        Assert.True(report.Notes >= 4);
    }

    [Fact]
    public async Task Check_MoneyCreditedOutsideAnySettlement_IsAConservationViolation()
    {
        var world = await ThreePayers.Create(_kit);

        // A credit no settlement made: the balance grows with no deposit and no interbank position behind it.
        var account = _fixture.Grains.GetGrain<IAccountGrain>(GrainKeys.Account(world.Store.Institution, world.Store.Account));
        Assert.True((await account.ApplyCredit(Protocol.Encoding.Sha256Id.Of("nowhere"u8), 123)).IsOk);

        var report = await SystemInvariants.CheckAsync(_fixture.StorageConnectionString, _fixture.StorageSerializer);

        Assert.Contains(report.Violations, v => v.StartsWith("conservation", StringComparison.Ordinal) && v.Contains("(EUR)", StringComparison.Ordinal));
    }
}
