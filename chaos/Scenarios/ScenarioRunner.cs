using System.Diagnostics;
using OrleansSettlement.Chaos.Cluster;
using OrleansSettlement.Chaos.Faults;
using OrleansSettlement.Chaos.Invariants;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Chaos.Scenarios;

/// <summary>
/// Runs one scenario on the cluster: opens its fault window, makes its parties, drives its checkouts with the
/// misbehaviour its kind calls for while the scheduled silo kill and Azurite restart happen at their protocol steps,
/// closes the fault window, waits for every agreement to reach a final outcome (measuring how long that takes), and
/// checks every invariant on the scenario's own rows plus what its kind expects.
/// </summary>
public sealed class ScenarioRunner(ChaosCluster cluster)
{
    /// <summary>A checkout's lifetime when a payer vanishes mid-challenge: it expires and aborts soon after.</summary>
    public static readonly TimeSpan ShortCheckoutLifetime = TimeSpan.FromSeconds(20);

    /// <summary>A checkout's lifetime in a race or a double spend, where the loser may be refused at S3 and wait for its expiry.</summary>
    public static readonly TimeSpan ContestedCheckoutLifetime = TimeSpan.FromSeconds(20);

    /// <summary>A checkout's lifetime otherwise: long enough for a driver slowed by faults, short enough that a checkout
    /// the driver had to give up on expires within the liveness bound.</summary>
    public static readonly TimeSpan CheckoutLifetime = TimeSpan.FromSeconds(90);

    private static readonly string[] GrainTypes = ["institution", "account", "note", "bankagreement", "checkout", "store"];

    public async Task<ScenarioResult> RunAsync(ScenarioSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var clock = Stopwatch.StartNew();
        var faults = new ScenarioFaults(spec.Seed, spec.Faults.Storage, spec.Faults.DuplicateRate, spec.Faults.MaxReorderDelayMs);
        cluster.Board.Register(spec.Prefix, faults);
        faults.History.Add($"scenario {spec.Index} of seed {spec.Seed}: {spec.Describe()}; fault window open");
        faults.Active = true;
        var calls = new ClientCalls(faults, spec.Faults.ClientRetryRate, ChaosSettings.DriveTimeout);
        var violations = new List<string>();
        var drivers = new List<CheckoutDriver>();
        var background = new List<Task>();
        string? unfinished = null;
        ScenarioParties? parties = null;
        using var forger = LocalSigner.Generate();
        try
        {
            parties = await ScenarioParties.CreateAsync(spec, calls, cluster.Grains, wallet => cluster.Board.Register(wallet, faults)).ConfigureAwait(false);
            await DriveAsync(spec, parties, calls, faults, forger, drivers, background, violations).ConfigureAwait(false);
        }
        catch (ScenarioDriverException exception)
        {
            unfinished = "driver: " + exception.Message;
        }

        // Faults stop: the scheduled cluster faults finish (the silo is back, Azurite is up), the window closes.
        await Task.WhenAll(background).ConfigureAwait(false);
        faults.Active = false;
        faults.History.Add("fault window closed" + (unfinished is null ? "" : $" ({unfinished})"));
        var stopped = Stopwatch.StartNew();
        var outcomes = await WaitForFinalAsync(drivers).ConfigureAwait(false);
        var timeToFinal = stopped.Elapsed;
        foreach (var outcome in outcomes)
        {
            faults.History.Add($"outcome: {ScenarioHistory.Describe(outcome)}");
        }

        if (outcomes.FirstOrDefault(o => !o.Final) is { } open)
        {
            unfinished ??= $"checkout {open.CheckoutId} is {open.Stage} {ChaosSettings.LivenessBound.TotalSeconds:0} s after the faults stopped";
        }

        foreach (var driver in drivers)
        {
            violations.AddRange(driver.Accepted);
        }

        violations.AddRange(Expectations(spec, outcomes));
        if (unfinished is null)
        {
            violations.AddRange(await CheckInvariantsAsync(spec, drivers).ConfigureAwait(false));
        }

        var result = new ScenarioResult(spec.Index, spec.Seed, spec.Kind.ToString(), spec.Describe(), outcomes, new Dictionary<FaultKind, int>(faults.Counts), violations, unfinished, timeToFinal, clock.Elapsed);
        if (!result.Ok)
        {
            result = result with { HistoryFile = await WriteHistoryAsync(spec, faults.History, result).ConfigureAwait(false) };
        }

        cluster.Board.Unregister(faults);
        parties?.Dispose();
        return result;
    }

    /// <summary>Writes a failed scenario's history beside the run's kept Azurite data; null when it cannot be written
    /// (the failure itself is reported either way).</summary>
    private async Task<string?> WriteHistoryAsync(ScenarioSpec spec, ScenarioHistory history, ScenarioResult result)
    {
        foreach (var violation in result.Violations)
        {
            history.Add($"violation: {violation}");
        }

        if (result.Unfinished is { } unfinished)
        {
            history.Add($"unfinished: {unfinished}");
        }

        var path = Path.Combine(cluster.StorageLocation, $"scenario-{spec.Index:D6}.history.log");
        try
        {
            Directory.CreateDirectory(cluster.StorageLocation);
            await history.WriteAsync(path, $"scenario {spec.Index} of seed {spec.Seed}: {spec.Describe()}").ConfigureAwait(false);
            return path;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task DriveAsync(ScenarioSpec spec, ScenarioParties parties, ClientCalls calls, ScenarioFaults faults, LocalSigner forger, List<CheckoutDriver> drivers, List<Task> background, List<string> violations)
    {
        var shares = spec.Payers.Select((p, i) => new ChaosShare(parties.Payers[i], p.ShareMinor, parties.Payers[i].NoteJsons)).ToList();
        var adversary = parties.Payers[spec.Adversary];
        var misbehaviour = new Misbehaviour(spec.Kind, adversary, forger);
        var vanished = spec.Kind == ScenarioKind.VanishingPayer ? adversary : null;
        var lifetime = spec.Kind switch
        {
            ScenarioKind.VanishingPayer => ShortCheckoutLifetime,
            ScenarioKind.RacingCheckouts or ScenarioKind.DoubleSpentNote => ContestedCheckoutLifetime,
            _ => CheckoutLifetime,
        };
        var main = new CheckoutDriver(cluster.Grains, calls, parties.Store, $"{spec.Prefix}co0", shares);
        drivers.Add(main);

        // The second checkout of a race or a double spend: the adversary, presenting the same notes, and the accomplice.
        var contested = spec.Payers[spec.Adversary];
        CheckoutDriver? second = parties.Accomplice is { } accomplice
            ? new CheckoutDriver(cluster.Grains, calls, parties.Store, $"{spec.Prefix}co1", [new ChaosShare(adversary, contested.ShareMinor, adversary.NoteJsons), new ChaosShare(accomplice, spec.Accomplice!.ShareMinor, accomplice.NoteJsons)])
            : null;

        if (vanished is not null)
        {
            faults.Count(FaultKind.VanishedPayer);
        }

        if (second is not null && spec.Kind == ScenarioKind.RacingCheckouts)
        {
            drivers.Add(second);
            await Task.WhenAll(
                DriveOneAsync(spec, main, lifetime, misbehaviour, null, faults, background, withFaults: true),
                DriveOneAsync(spec, second, lifetime, null, null, faults, background, withFaults: false)).ConfigureAwait(false);
            return;
        }

        await DriveOneAsync(spec, main, lifetime, misbehaviour, vanished, faults, background, withFaults: true).ConfigureAwait(false);
        if (second is not null)
        {
            // The double spend comes after the first checkout has ended (its notes spent, or released by an abort).
            await Task.WhenAll(background).ConfigureAwait(false);
            var first = await WaitForFinalAsync([main]).ConfigureAwait(false);
            if (!first[0].Final)
            {
                violations.Add($"checkout {main.CheckoutId} did not reach a final outcome before the double spend could start.");
                return;
            }

            drivers.Add(second);
            await DriveOneAsync(spec, second, lifetime, null, null, faults, background, withFaults: false).ConfigureAwait(false);
        }
    }

    private async Task DriveOneAsync(ScenarioSpec spec, CheckoutDriver driver, TimeSpan lifetime, Misbehaviour? misbehaviour, ChaosPayer? vanished, ScenarioFaults faults, List<Task> background, bool withFaults)
    {
        try
        {
            await DriveStepsAsync(spec, driver, lifetime, misbehaviour, vanished, faults, background, withFaults).ConfigureAwait(false);
        }
        catch (CheckoutExpiredException)
        {
            // The checkout expired while faults slowed its apps: it aborts, which the outcome check sees.
        }
        catch (LeaderMailboxLostException)
        {
            // The leader's mailbox (memory only before S7, ADR 0018) was lost and could not be opened again by proposing
            // again (the checkout ended meanwhile, or the mailbox was lost each time): the checkout ends without payment,
            // which the outcome check sees.
        }
    }

    private async Task DriveStepsAsync(ScenarioSpec spec, CheckoutDriver driver, TimeSpan lifetime, Misbehaviour? misbehaviour, ChaosPayer? vanished, ScenarioFaults faults, List<Task> background, bool withFaults)
    {
        var kill = withFaults ? spec.Faults.Kill : null;
        await driver.ProposeAsync(lifetime, id => cluster.Board.Register(id, faults)).ConfigureAwait(false);
        Schedule(KillPoint.AfterProposal);
        if (!await driver.SubmitBundleAsync(misbehaviour).ConfigureAwait(false))
        {
            return;
        }

        Schedule(KillPoint.AfterBundle);
        if (withFaults && spec.Faults.RestartAzurite)
        {
            faults.Count(FaultKind.AzuriteRestart);
            lock (background)
            {
                background.Add(cluster.RestartAzuriteAsync(TimeSpan.FromMilliseconds(500 + (spec.Seed % 2_000))));
            }
        }

        await driver.AnswerAsync(misbehaviour, vanished).ConfigureAwait(false);
        Schedule(KillPoint.AfterS7);
        Schedule(KillPoint.DuringSettlement);

        void Schedule(KillPoint point)
        {
            if (kill is null || kill.At != point)
            {
                return;
            }

            var delay = point == KillPoint.DuringSettlement ? kill.DelayMs : 0;
            faults.History.Add($"driver: {point} of {driver.CheckoutId}: silo {kill.Silo} to be killed in {delay} ms for {kill.DowntimeMs} ms");
            lock (background)
            {
                background.Add(KillAsync(kill, delay, faults));
            }
        }
    }

    private async Task KillAsync(SiloKill kill, int delayMs, ScenarioFaults faults)
    {
        await Task.Delay(delayMs).ConfigureAwait(false);
        if (await cluster.KillAndRestartSiloAsync(kill.Silo, TimeSpan.FromMilliseconds(kill.DowntimeMs)).ConfigureAwait(false))
        {
            faults.Count(FaultKind.SiloKill);
        }
    }

    /// <summary>Polls every checkout until it is settled or aborted and its settlement (when one began) has every bank's
    /// acknowledgement, or until the liveness bound passes.</summary>
    private async Task<IReadOnlyList<CheckoutOutcome>> WaitForFinalAsync(IReadOnlyList<CheckoutDriver> drivers)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var outcomes = new List<CheckoutOutcome>();
            foreach (var driver in drivers)
            {
                outcomes.Add(await OutcomeOf(driver).ConfigureAwait(false));
            }

            if (outcomes.All(o => o.Final) || deadline.Elapsed > ChaosSettings.LivenessBound)
            {
                return outcomes;
            }

            await Task.Delay(250).ConfigureAwait(false);
        }
    }

    private async Task<CheckoutOutcome> OutcomeOf(CheckoutDriver driver)
    {
        try
        {
            var view = await driver.GetAsync().ConfigureAwait(false);
            if (view is null)
            {
                return new CheckoutOutcome(driver.CheckoutId, driver.AgreementId, "missing", null, Final: driver.AgreementId is null);
            }

            var ended = view.Stage is CheckoutStage.Settled or CheckoutStage.Aborted;
            var settled = true;
            if (ended && view.AgreementId is not null)
            {
                var settlement = await cluster.Grains.GetGrain<ISettlementGrain>(view.AgreementId).Get().ConfigureAwait(false);
                settled = settlement is null || settlement.Stage is SettlementStage.None || settlement.Stage == SettlementStage.Completed;
            }

            return new CheckoutOutcome(driver.CheckoutId, view.AgreementId, view.Stage.ToString(), view.AbortReason?.Code, ended && settled);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return new CheckoutOutcome(driver.CheckoutId, driver.AgreementId, "unreadable: " + exception.GetType().Name, null, Final: false);
        }
    }

    private static IEnumerable<string> Expectations(ScenarioSpec spec, IReadOnlyList<CheckoutOutcome> outcomes)
    {
        if (outcomes.Count(o => o.Stage == nameof(CheckoutStage.Settled)) > 1 && spec.Kind is ScenarioKind.RacingCheckouts or ScenarioKind.DoubleSpentNote)
        {
            yield return $"{spec.Kind}: both checkouts presenting the same note settled.";
        }

        if (spec.Kind == ScenarioKind.VanishingPayer && outcomes[0].Stage == nameof(CheckoutStage.Settled))
        {
            yield return "VanishingPayer: the checkout settled although a payer never answered its challenge.";
        }
    }

    private async Task<IReadOnlyList<string>> CheckInvariantsAsync(ScenarioSpec spec, IReadOnlyList<CheckoutDriver> drivers)
    {
        var prefixes = GrainTypes.Select(t => $"{cluster.ServiceId}_{t}_{spec.Prefix}")
            .Concat(drivers.Where(d => d.AgreementId is not null).Select(d => $"{cluster.ServiceId}_settlement_{d.AgreementId}"));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var rows = await StoredState.ReadAsync(cluster.StorageConnectionString, prefixes).ConfigureAwait(false);
                return SystemInvariants.Check(new StoredState(rows, cluster.StorageSerializer)).Violations;
            }
            catch (Exception exception) when (attempt < 60 && exception is Azure.RequestFailedException or AggregateException or System.Net.Http.HttpRequestException)
            {
                // Azurite restarting under another scenario (down for up to half a minute): read again.
                await Task.Delay(500).ConfigureAwait(false);
            }
        }
    }
}
