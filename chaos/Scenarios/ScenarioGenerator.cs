using OrleansSettlement.Chaos.Faults;

namespace OrleansSettlement.Chaos.Scenarios;

/// <summary>
/// Draws scenario <c>index</c> of a run from the run's seed alone (its own generator, seeded by a mix of both), so that
/// <c>settle chaos --seed S --only K</c> makes exactly scenario K of the run with seed S, faults included.
/// </summary>
public static class ScenarioGenerator
{
    /// <summary>One Azurite restart per this many scenarios (at a seeded offset): a few per run, not every scenario.</summary>
    public const int AzuriteRestartEvery = 100;

    private static readonly (ScenarioKind Kind, int Weight)[] Kinds =
    [
        (ScenarioKind.Honest, 30),
        (ScenarioKind.MismatchedAgreement, 9),
        (ScenarioKind.ForgedNote, 9),
        (ScenarioKind.DoubleSpentNote, 10),
        (ScenarioKind.BadResponse, 9),
        (ScenarioKind.LateResponse, 8),
        (ScenarioKind.RacingCheckouts, 15),
        (ScenarioKind.VanishingPayer, 10),
    ];

    public static ScenarioSpec Generate(int runSeed, int index, int silos)
    {
        var seed = Mix(runSeed, index);
        var random = new Random(seed);
        var kind = Pick(random, Kinds);
        var payerCount = random.Next(2, 6);
        var payerBanks = random.Next(1, Math.Min(3, payerCount) + 1);
        var storeBank = random.Next(2) == 0 ? payerBanks : random.Next(payerBanks);
        var payers = new List<PayerSpec>();
        for (var i = 0; i < payerCount; i++)
        {
            var share = (long)random.Next(1, 30_001);
            var change = random.Next(4) == 0 ? 0 : random.Next(1, 5_001);
            payers.Add(new PayerSpec(random.Next(payerBanks), share, Split(random, share + change, random.Next(1, 4))));
        }

        var adversary = random.Next(payerCount);
        PayerSpec? accomplice = null;
        if (kind is ScenarioKind.RacingCheckouts or ScenarioKind.DoubleSpentNote)
        {
            var share = (long)random.Next(1, 30_001);
            accomplice = new PayerSpec(random.Next(payerBanks), share, Split(random, share + random.Next(0, 5_001), random.Next(1, 3)));
        }

        return new ScenarioSpec(index, seed, kind, payerBanks, storeBank, payers, adversary, accomplice, DrawFaults(random, runSeed, index, silos));
    }

    /// <summary>A deterministic mix of the run's seed and a scenario index (SplitMix64's finalizer).</summary>
    public static int Mix(int runSeed, int index)
    {
        unchecked
        {
            var z = ((ulong)(uint)runSeed << 32) ^ (uint)index;
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (int)(z ^ (z >> 31)) & int.MaxValue;
        }
    }

    private static FaultSchedule DrawFaults(Random random, int runSeed, int index, int silos)
    {
        // Three storage profiles: a light sprinkle, a rough patch, slow storage.
        var storage = random.Next(3) switch
        {
            0 => new StorageFaultRates(Conflict: 0.02, Unavailable: 0.02, TimeoutAfterWrite: 0.02, Latency: 0.05, MaxLatencyMs: 50),
            1 => new StorageFaultRates(Conflict: 0.06, Unavailable: 0.06, TimeoutAfterWrite: 0.06, Latency: 0.1, MaxLatencyMs: 150),
            _ => new StorageFaultRates(Conflict: 0.01, Unavailable: 0.01, TimeoutAfterWrite: 0.02, Latency: 0.4, MaxLatencyMs: 300),
        };
        var duplicateRate = 0.05 + (random.NextDouble() * 0.25);
        var maxReorderDelayMs = random.Next(50, 1_000);
        var clientRetryRate = 0.1 + (random.NextDouble() * 0.3);
        SiloKill? kill = null;
        if (random.Next(100) < 30)
        {
            var at = random.Next(100) switch
            {
                < 10 => KillPoint.AfterProposal,
                < 25 => KillPoint.AfterBundle,
                < 60 => KillPoint.AfterS7,
                _ => KillPoint.DuringSettlement,
            };
            kill = new SiloKill(at, random.Next(silos), random.Next(0, 800), random.Next(500, 4_000));
        }

        var restartAzurite = index % AzuriteRestartEvery == (int)((uint)runSeed % AzuriteRestartEvery);
        return new FaultSchedule(storage, duplicateRate, maxReorderDelayMs, clientRetryRate, kill, restartAzurite);
    }

    /// <summary><paramref name="totalMinor"/> split into <paramref name="parts"/> positive amounts (fewer when it is too small).</summary>
    private static List<long> Split(Random random, long totalMinor, int parts)
    {
        parts = (int)Math.Min(parts, totalMinor);
        var cuts = new SortedSet<long>();
        while (cuts.Count < parts - 1)
        {
            cuts.Add(random.NextInt64(1, totalMinor));
        }

        var amounts = new List<long>();
        var previous = 0L;
        foreach (var cut in cuts.Append(totalMinor))
        {
            amounts.Add(cut - previous);
            previous = cut;
        }

        return amounts;
    }

    private static T Pick<T>(Random random, (T Value, int Weight)[] choices)
    {
        var draw = random.Next(choices.Sum(c => c.Weight));
        foreach (var (value, weight) in choices)
        {
            if (draw < weight)
            {
                return value;
            }

            draw -= weight;
        }

        return choices[^1].Value;
    }
}
