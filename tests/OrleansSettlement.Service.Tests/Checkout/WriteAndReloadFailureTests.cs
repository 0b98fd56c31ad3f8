using Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Core.Internal;
using Orleans.Storage;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Infrastructure;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>
/// When a grain's write fails and so does the read after it, its memory may hold changes its row does not: the
/// activation is dropped (<c>DurableState.WriteOrReloadAsync</c>), and no later call may be answered from that memory.
/// A wallet's <c>Lead</c> answered "recorded" from such a memory would let the checkout store an agreement whose
/// payers' S1 the leader's mailbox then refuses (<c>unknown_agreement</c>). Here a real silo on Azurite has a storage
/// decorator that fails chosen operations of one grain.
/// </summary>
public sealed class WriteAndReloadFailureTests : IAsyncLifetime
{
    private readonly FailingStorage.Switch _failures = new();
    private AzuriteProcess? _azurite;
    private IHost? _silo;

    private IGrainFactory Grains => _silo!.Services.GetRequiredService<IGrainFactory>();

    [Fact]
    public async Task Lead_WriteAndReloadFail_NoLaterCallIsAnsweredFromMemory_AndS1IsKept()
    {
        using var kit = new SettlementKit(Grains);
        var world = await ThreePayers.Create(kit);
        var checkout = await world.OpenCheckout(kit);
        var agreement = await checkout.Propose(world.Alice, world.Shares);
        var leader = kit.Wallet(world.Alice);
        var store = world.Store.Id;
        var other = $"{agreement.Id[..20]}-second-agreement";

        // The next write of the leader's wallet fails, and so does the read after it. A second Lead for the same agreement
        // is sent at once, so that it waits in the activation's queue behind the first.
        _failures.Arm(leader.GetGrainId(), writes: 1, reads: 1);
        var first = leader.Lead(other, store, agreement.Value.ExpiresAt);
        var second = leader.Lead(other, store, agreement.Value.ExpiresAt);
        await Assert.ThrowsAnyAsync<Exception>(() => first);

        // Whatever the queued call met, an "ok" means the row holds the agreement.
        if (await Record.ExceptionAsync(() => second) is null)
        {
            Assert.Contains(await StoredLeading(leader), id => id == other);
        }

        // The app retries until it is answered; then the row holds the agreement.
        var answered = await SettlementKit.Eventually(
            async () => await Record.ExceptionAsync(() => leader.Lead(other, store, agreement.Value.ExpiresAt)) is null,
            ok => ok);
        Assert.True(answered);
        Assert.Contains(await StoredLeading(leader), id => id == other);
        Assert.Contains(await StoredLeading(leader), id => id == agreement.Id);
        Assert.True(SettlementKit.Ok(await leader.ReceiveContribution(await checkout.Contribution(world.Bob)), "S1 after the replacement") >= 1);
    }

    [Fact]
    public async Task HandOff_WhoseBeginWasNotReached_IsBegunByTheNextReadOfTheCheckout()
    {
        using var kit = new SettlementKit(Grains);
        var world = await ThreePayers.Create(kit);
        var checkout = await world.OpenCheckout(kit);
        await checkout.RunToChallenges(world.Alice, world.Shares);
        await checkout.AnswerAll(world.Carol);
        var settlement = kit.Settlement(checkout.AgreementId);

        // The settlement grain cannot write: the hand-off lands and Begin does not, as when the silo dies between them.
        // Then the checkout's activation goes (its Begin retries with it): nothing is held, nothing drives the agreement.
        _failures.Arm(settlement.GetGrainId(), writes: int.MaxValue, reads: 0);
        Assert.Equal(CheckoutStage.Settling, SettlementKit.Ok(await checkout.Answer(world.Carol), "S5 from Carol").Stage);
        await checkout.Grain.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var management = Grains.GetGrain<IManagementGrain>(0);
        await SettlementKit.Eventually(async () => await management.GetActivationAddress(checkout.Grain), address => address is null);
        _failures.Arm(settlement.GetGrainId(), writes: 0, reads: 0);
        Assert.Null(await settlement.Get());

        // The store (or an app) reads the checkout until it ends: the fresh activation finds the hand-off and begins.
        var settled = await SettlementKit.Eventually(checkout.Get, view => view.Stage == CheckoutStage.Settled, TimeSpan.FromSeconds(60));

        Assert.Equal(CheckoutStage.Settled, settled.Stage);
        Assert.NotNull(settled.Receipt);
        Assert.Equal(ThreePayers.TotalMinor, await kit.Balance(world.BankC, world.Store.Account));
    }

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartInMemoryAsync(RepositoryRoot.Find());
        try
        {
            _silo = TestSilo.Build(_azurite.ConnectionString, "reload-" + Guid.NewGuid().ToString("N")[..12], configure: silo => FailingStorage.Replace(silo.Services, StorageNames.GrainState, _failures));
            await _silo.StartAsync();
        }
        catch
        {
            // xUnit does not dispose a class whose initialization failed: stop Azurite here, or it outlives the run.
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    private async Task<IReadOnlyList<string>> StoredLeading(IWalletGrain wallet)
    {
        var storage = _silo!.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState);
        var row = new GrainState<WalletState>();
        await storage.ReadStateAsync("wallet", wallet.GetGrainId(), row);
        return [.. row.State!.Leading.Select(l => l.AgreementId)];
    }
}

/// <summary>A grain storage decorator that fails the next writes and reads of one grain when armed (503, before the
/// operation reaches storage).</summary>
internal sealed class FailingStorage(IGrainStorage inner, FailingStorage.Switch failures) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public static void Replace(IServiceCollection services, string name, Switch failures)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name));
        var factory = original.KeyedImplementationFactory ?? throw new InvalidOperationException($"the grain storage '{name}' is not registered by a factory.");
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => new FailingStorage((IGrainStorage)factory(sp, key), failures));
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        failures.TakeRead(grainId) ? throw new RequestFailedException(503, "test: storage unavailable") : inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        failures.TakeWrite(grainId) ? throw new RequestFailedException(503, "test: storage unavailable") : inner.WriteStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    /// <summary>Which grain fails, and how many of its next writes and reads.</summary>
    public sealed class Switch
    {
        private readonly Lock _gate = new();
        private GrainId _target;
        private int _writes;
        private int _reads;

        public void Arm(GrainId target, int writes, int reads)
        {
            lock (_gate)
            {
                (_target, _writes, _reads) = (target, writes, reads);
            }
        }

        public bool TakeWrite(GrainId grain)
        {
            lock (_gate)
            {
                return grain == _target && _writes-- > 0;
            }
        }

        public bool TakeRead(GrainId grain)
        {
            lock (_gate)
            {
                return grain == _target && _reads-- > 0;
            }
        }
    }
}
