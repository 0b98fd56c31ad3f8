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
/// A wallet's <c>ReceiveNotes</c> answered "kept" from such a memory would tell the bank the notes reached the wallet
/// while its row lacks them. Here a real silo on Azurite has a storage decorator that fails chosen operations of one
/// grain.
/// </summary>
public sealed class WriteAndReloadFailureTests : IAsyncLifetime
{
    private readonly FailingStorage.Switch _failures = new();
    private AzuriteProcess? _azurite;
    private IHost? _silo;

    private IGrainFactory Grains => _silo!.Services.GetRequiredService<IGrainFactory>();

    [Fact]
    public async Task ReceiveNotes_WriteAndReloadFail_NoLaterCallIsAnsweredFromMemory_AndTheNotesAreKept()
    {
        using var kit = new SettlementKit(Grains);
        var (wallet, notes) = await WalletWithNotesNotInItsRow(kit);

        // The next write of the wallet fails, and so does the read after it. A second delivery of the same notes is sent
        // at once, so that it waits in the activation's queue behind the first.
        _failures.Arm(wallet.GetGrainId(), writes: 1, reads: 1);
        var first = wallet.ReceiveNotes(notes);
        var second = wallet.ReceiveNotes(notes);
        await Assert.ThrowsAnyAsync<Exception>(() => first);

        // Whatever the queued call met, an "ok" means the row holds the notes.
        if (await Record.ExceptionAsync(() => second) is null)
        {
            Assert.Equal(Serials(notes), await StoredSerials(wallet));
        }

        // The bank delivers again until it is answered; then the row holds the notes.
        var answered = await SettlementKit.Eventually(async () => await Record.ExceptionAsync(() => wallet.ReceiveNotes(notes)) is null, ok => ok);
        Assert.True(answered);
        Assert.Equal(Serials(notes), await StoredSerials(wallet));
    }

    [Fact]
    public async Task ReceiveNotes_WriteFailsAndTheRowIsReadAgain_AnUnsavedEndIsKeptAndWrittenWithTheRetry()
    {
        using var kit = new SettlementKit(Grains);
        var (wallet, notes) = await WalletWithNotesNotInItsRow(kit);
        await wallet.AgreementEnded("agreement-ended", "store-x", "checkout-x");
        Assert.Equal(["store-x|checkout-x"], await SettlementKit.Eventually(() => wallet.GetRecentCheckouts(), r => r.Count > 0));

        // The write fails, the read after it succeeds: the row (without the end) replaces the memory, and the unsaved end
        // is applied to it again.
        _failures.Arm(wallet.GetGrainId(), writes: 1, reads: 0);
        await Assert.ThrowsAnyAsync<Exception>(() => wallet.ReceiveNotes(notes));
        Assert.Equal(["store-x|checkout-x"], await wallet.GetRecentCheckouts());

        await wallet.ReceiveNotes(notes);
        var row = await ReadRow(wallet);
        Assert.Equal(["store-x|checkout-x"], row.RecentCheckouts);
        Assert.Equal(Serials(notes), row.Notes.Select(n => n.Serial).Order(StringComparer.Ordinal));
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

    /// <summary>A registered wallet with notes issued to it that its row does not hold (as before their delivery), and
    /// a fresh activation that has read that row.</summary>
    private async Task<(IWalletGrain Wallet, IReadOnlyList<string> Notes)> WalletWithNotesNotInItsRow(SettlementKit kit)
    {
        var payer = await kit.CreatePayer(await kit.CreateBank(), 1_000);
        var notes = await kit.Withdraw(payer, 200, 300);
        var wallet = kit.Wallet(payer);
        await SettlementKit.Eventually(async () => (await ReadRow(wallet)).Notes.Count, count => count == notes.Count);

        await wallet.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var storage = _silo!.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState);
        var row = new GrainState<WalletState>();
        await storage.ReadStateAsync("wallet", wallet.GetGrainId(), row);
        row.State!.Notes.Clear();
        await storage.WriteStateAsync("wallet", wallet.GetGrainId(), row);
        Assert.NotNull(await wallet.GetProfile());
        Assert.Empty(await StoredSerials(wallet));
        return (wallet, notes);
    }

    private static IReadOnlyList<string> Serials(IEnumerable<string> notes) =>
        [.. notes.Select(n => SettlementKit.ParseNote(n).Value.Serial).Order(StringComparer.Ordinal)];

    private async Task<IReadOnlyList<string>> StoredSerials(IWalletGrain wallet) =>
        [.. (await ReadRow(wallet)).Notes.Select(n => n.Serial).Order(StringComparer.Ordinal)];

    private async Task<WalletState> ReadRow(IWalletGrain wallet)
    {
        var storage = _silo!.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState);
        var row = new GrainState<WalletState>();
        await storage.ReadStateAsync("wallet", wallet.GetGrainId(), row);
        return row.State!;
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
