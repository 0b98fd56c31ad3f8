using OrleansSettlement.Chaos.Scenarios;

namespace OrleansSettlement.Service.Tests.Chaos;

/// <summary>The seed alone fixes every scenario and its fault schedule, so a failure's replay makes the same scenario.</summary>
public sealed class ScenarioGeneratorTests
{
    [Fact]
    public void Generate_SameSeedAndIndex_SameScenarioAndFaults()
    {
        for (var index = 0; index < 50; index++)
        {
            var first = ScenarioGenerator.Generate(42, index, silos: 3);
            var again = ScenarioGenerator.Generate(42, index, silos: 3);

            Assert.Equal(Text(first), Text(again));
        }

        Assert.NotEqual(Text(ScenarioGenerator.Generate(42, 7, 3)), Text(ScenarioGenerator.Generate(43, 7, 3)));
    }

    [Fact]
    public void Generate_TwoHundredScenarios_CoverEveryKindWithTwoToFivePayersWhoseNotesCoverTheirShares()
    {
        var specs = Enumerable.Range(0, 200).Select(i => ScenarioGenerator.Generate(20261126, i, silos: 3)).ToList();

        Assert.Equal(Enum.GetValues<ScenarioKind>().Order(), specs.Select(s => s.Kind).Distinct().Order());
        Assert.All(specs, s => Assert.InRange(s.Payers.Count, 2, 5));
        Assert.All(specs.SelectMany(s => s.Payers), p => Assert.True(p.NotesTotalMinor >= p.ShareMinor && p.NotesMinor.All(n => n > 0)));
        Assert.All(specs, s => Assert.Equal(s.Kind is ScenarioKind.RacingCheckouts or ScenarioKind.DoubleSpentNote, s.Accomplice is not null));
        Assert.Contains(specs, s => s.Faults.Kill is { At: KillPoint.AfterS7 or KillPoint.DuringSettlement });
        Assert.Equal(2, specs.Count(s => s.Faults.RestartAzurite));
    }

    /// <summary>Everything a scenario is made of, as text (to compare two draws).</summary>
    internal static string Text(ScenarioSpec spec) =>
        $"{spec.Describe()} | {string.Join(";", spec.Payers.Select(p => $"{p.Bank}:{p.ShareMinor}:{string.Join(",", p.NotesMinor)}"))} | {spec.Faults with { }} | {spec.Adversary} | {spec.Accomplice?.ShareMinor}";
}
