using OrleansSettlement.Chaos;
using OrleansSettlement.Chaos.Scenarios;
using OrleansSettlement.Cli.Chaos;

namespace OrleansSettlement.Service.Tests.Chaos;

/// <summary>
/// The replay lines a chaos run prints, parsed by the real <c>settle chaos</c> command: a failed scenario's line runs
/// exactly that scenario (same seed, index and fault schedule) whatever the run's number of scenarios and concurrency, and
/// a whole run's line makes the same run.
/// </summary>
public sealed class ChaosReplayTests
{
    private const string Prefix = "./settle chaos ";

    [Theory]
    [InlineData(200, 32, 17)]
    [InlineData(500, 32, 419)]
    [InlineData(1000, 8, 999)]
    [InlineData(1, 1, 0)]
    public void ScenarioReplay_ParsedBySettleChaos_RunsThatScenarioAsTheRunDrewIt(int scenarios, int concurrency, int index)
    {
        var run = Settings(seed: 7111, scenarios, concurrency, only: null);

        var replay = Parse(ChaosReplay.Scenario(run, index));

        Assert.Equal([index], replay.Indices);
        Assert.Equal(run.Silos, replay.Silos);
        Assert.Equal(
            ScenarioGeneratorTests.Text(ScenarioGenerator.Generate(run.Seed, index, run.Silos)),
            ScenarioGeneratorTests.Text(ScenarioGenerator.Generate(replay.Seed, index, replay.Silos)));
    }

    [Theory]
    [InlineData(200, 32)]
    [InlineData(500, 8)]
    public void RunReplay_ParsedBySettleChaos_MakesTheSameRun(int scenarios, int concurrency)
    {
        var run = Settings(seed: 20261126, scenarios, concurrency, only: null);

        var replay = Parse(ChaosReplay.Run(run));

        Assert.Equal((run.Seed, run.Scenarios, run.Concurrency, run.Only), (replay.Seed, replay.Scenarios, replay.Concurrency, replay.Only));
        Assert.Equal(run.Indices, replay.Indices);
    }

    [Fact]
    public void RunReplay_OfAnOnlyRun_ReplaysThatScenario()
    {
        var run = Settings(seed: 5150, scenarios: 500, concurrency: 32, only: 421);

        var replay = Parse(ChaosReplay.Run(run));

        Assert.Equal([421], replay.Indices);
        Assert.Equal(500, replay.Scenarios);
    }

    private static ChaosSettings Settings(int seed, int scenarios, int concurrency, int? only) => new()
    {
        Seed = seed,
        Scenarios = scenarios,
        Concurrency = concurrency,
        Only = only,
        AzuriteExecutable = "azurite",
        StorageLocation = "data",
    };

    /// <summary>What <c>settle chaos</c> would run for <paramref name="line"/>: parsed and checked as the command does.</summary>
    private static ChaosSettings Parse(string line)
    {
        Assert.StartsWith(Prefix, line, StringComparison.Ordinal);
        var parse = ChaosCommand.Create().Parse(line[Prefix.Length..].Split(' '));
        Assert.Empty(parse.Errors);
        var request = ChaosCommand.RequestFrom(parse);
        Assert.Null(ChaosCommand.Usage(request));
        return ChaosCommand.SettingsFor(request, request.Seed ?? throw new InvalidOperationException("a replay names its seed"), "root", "data");
    }
}
