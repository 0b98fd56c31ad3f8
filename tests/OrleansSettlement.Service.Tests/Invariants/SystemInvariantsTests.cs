using OrleansSettlement.Contracts;
using OrleansSettlement.Service.Tests.Kit;
using Shared = OrleansSettlement.Chaos.Invariants;

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
    public async Task Check_ANoteSpentByItsHoldReadAsOutstandingOrHeldElsewhere_IsAViolation()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        await checkout.AnswerAll();
        await checkout.WaitForStage(CheckoutStage.Settled, TimeSpan.FromSeconds(20));
        var rows = await Shared.StoredState.ReadAsync(_fixture.StorageConnectionString);
        var note = Protocol.Messages.Note.Parse(System.Text.Json.Nodes.JsonNode.Parse(world.AliceNotes[0])).Value.Value;
        var key = GrainKeys.Note(note.Issuer, note.Serial);

        // As stored, the spent note says held by the committed agreement (ADR 0019): the checker counts it as spent.
        var stored = new Shared.StoredState(rows, _fixture.StorageSerializer);
        Assert.Equal(NoteState.Held, stored.Notes[key].State);
        Assert.Equal(checkout.AgreementId, stored.Notes[key].AgreementId);
        Assert.DoesNotContain(Shared.SystemInvariants.Check(stored).Violations, v => v.Contains(key, StringComparison.Ordinal));

        // Rows that said it was released after the commit, or held by another agreement, are caught.
        var released = new Shared.StoredState(rows, _fixture.StorageSerializer);
        released.Notes[key].State = NoteState.Outstanding;
        released.Notes[key].AgreementId = null;
        var found = Shared.SystemInvariants.Check(released).Violations;
        Assert.Contains(found, v => v.Contains(key, StringComparison.Ordinal) && v.Contains(checkout.AgreementId, StringComparison.Ordinal));
        Assert.Contains(found, v => v.StartsWith("conservation", StringComparison.Ordinal));

        var heldElsewhere = new Shared.StoredState(rows, _fixture.StorageSerializer);
        heldElsewhere.Notes[key].AgreementId = Protocol.Encoding.Sha256Id.Of("another agreement"u8);
        Assert.Contains(Shared.SystemInvariants.Check(heldElsewhere).Violations, v => v.Contains(key, StringComparison.Ordinal) && v.Contains(checkout.AgreementId, StringComparison.Ordinal));
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
