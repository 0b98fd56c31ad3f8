using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansSettlement.Bench.Measure;
using OrleansSettlement.Contracts;
using OrleansSettlement.Silo;
using OrleansSettlement.Testing.Azurite;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>
/// One real silo in the bench process: <see cref="SiloConfiguration"/> unchanged (Azure Table clustering, grain storage
/// and reminders on the given Azurite, the grain-call counter, the grains' default options), then, for
/// <see cref="StorageMode.Memory"/>, Orleans memory grain storage and in-memory reminders in place of the Azure Table
/// ones; in both modes the grain storage and the reminder table are wrapped by counters, and the outcome signal is added.
/// The banks' note signing is the run's <see cref="BenchSigning"/> (the development signer, or the fake Key Vault).
/// </summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    /// <summary>How long Orleans is given to stop in order at the end of a run.</summary>
    public static readonly TimeSpan StopBudget = TimeSpan.FromSeconds(30);

    /// <summary>How long Orleans is given to stop after an interrupt (then the silo is left to the process's exit).</summary>
    public static readonly TimeSpan InterruptedStopBudget = TimeSpan.FromSeconds(3);

    private readonly IHost _host;
    private CancellationToken _interrupt;

    private BenchSilo(IHost host, WriteTally tally, OutcomeSignal outcomes, string clusterId, Action<string> prepareBank)
    {
        _host = host;
        ClusterId = clusterId;
        Tally = tally;
        Outcomes = outcomes;
        PrepareBank = prepareBank;
    }

    /// <summary>Called with a bank's name before the bank is created (its note signing, see <see cref="BenchSigning"/>).</summary>
    public Action<string> PrepareBank { get; }

    public WriteTally Tally { get; }

    /// <summary>The cluster the silo joined (an in-process API joins it as a client).</summary>
    public string ClusterId { get; }

    public OutcomeSignal Outcomes { get; }

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public IServiceProvider Services => _host.Services;

    /// <summary>The grain storage every grain writes through (the counting wrapper around the mode's provider).</summary>
    public IGrainStorage GrainStorage => _host.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState);

    /// <summary>Starts a silo. After an interrupt (<paramref name="interrupt"/>) its disposal gives Orleans
    /// <see cref="InterruptedStopBudget"/> instead of <see cref="StopBudget"/>: a terminal's Ctrl-C reaches Azurite too, and a
    /// silo stopping in order on storage that is gone waits out every storage timeout.</summary>
    public static async Task<BenchSilo> StartAsync(string storageConnectionString, StorageMode mode, BenchSigning signing, bool showLogs, CancellationToken interrupt)
    {
        var ports = FreePorts.Take(2);
        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..12];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Storage"] = storageConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
        });
        if (showLogs)
        {
            builder.Logging.AddSimpleConsole(options => options.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        }

        var tally = new WriteTally();
        var outcomes = new OutcomeSignal();
        builder.UseOrleans(silo =>
        {
            SiloConfiguration.Configure(silo, builder.Configuration);
            if (mode == StorageMode.Memory)
            {
                silo.AddMemoryGrainStorage(StorageNames.GrainState);
                silo.AddMemoryGrainStorageAsDefault();
                silo.UseInMemoryReminderService();
            }

            WrapGrainStorage(silo.Services, StorageNames.GrainState, tally);
            WrapGrainStorage(silo.Services, Orleans.Providers.ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, tally);
            WrapReminderTable(silo.Services, tally);
            silo.Services.AddSingleton<IIncomingGrainCallFilter>(outcomes);
            silo.Services.AddSingleton<IIncomingGrainCallFilter>(new CallSites(tally));
            signing.AddTo(silo.Services);
            silo.Services.AddSingleton<IOutgoingGrainCallFilter>(new SlowCalls());
        });
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return new BenchSilo(host, tally, outcomes, clusterId, bank => signing.PrepareBank(builder.Configuration, bank)) { _interrupt = interrupt };
    }

    public async ValueTask DisposeAsync()
    {
        if (_interrupt.IsCancellationRequested)
        {
            // After a terminal's Ctrl-C, Azurite got the signal too and is gone: Orleans' stop then waits on storage
            // timeouts whatever its token says. The process is about to exit, so the silo is left to it after the budget.
            using var abandon = new CancellationTokenSource();
            await abandon.CancelAsync().ConfigureAwait(false);
            try
            {
                await _host.StopAsync(abandon.Token).WaitAsync(InterruptedStopBudget).ConfigureAwait(false);
                _host.Dispose();
            }
            catch (TimeoutException)
            {
            }

            return;
        }

        using var stop = new CancellationTokenSource(StopBudget);
        try
        {
            await _host.StopAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
        }
    }

    /// <summary>Replaces every provider registered under <paramref name="name"/> by one counting wrapper around the last one
    /// registered (the one Orleans would resolve).</summary>
    private static void WrapGrainStorage(IServiceCollection services, string name, WriteTally tally)
    {
        var registered = services.Where(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name)).ToList();
        if (registered.Count == 0)
        {
            return;
        }

        var last = registered[^1];
        foreach (var descriptor in registered)
        {
            services.Remove(descriptor);
        }

        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => new CountingGrainStorage(
            (IGrainStorage)Create(last, sp, key), sp.GetRequiredService<IGrainStorageSerializer>(), tally));
    }

    private static void WrapReminderTable(IServiceCollection services, WriteTally tally)
    {
        var registered = services.Where(d => d.ServiceType == typeof(IReminderTable) && !d.IsKeyedService).ToList();
        if (registered.Count == 0)
        {
            throw new InvalidOperationException("the silo has no reminder table to count.");
        }

        var last = registered[^1];
        foreach (var descriptor in registered)
        {
            services.Remove(descriptor);
        }

        services.AddSingleton<IReminderTable>(sp => new CountingReminderTable((IReminderTable)Create(last, sp, null), tally));
    }

    private static object Create(ServiceDescriptor descriptor, IServiceProvider services, object? key)
    {
        if (descriptor.IsKeyedService)
        {
            return descriptor.KeyedImplementationInstance
                ?? descriptor.KeyedImplementationFactory?.Invoke(services, key)
                ?? ActivatorUtilities.CreateInstance(services, descriptor.KeyedImplementationType!);
        }

        return descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);
    }
}
