using OrleansSettlement.Chaos.Faults;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Service.Tests.Chaos;

/// <summary>A failed scenario's history names what a reader needs to follow a note (its state and agreement, a refusal's
/// code) and leaves out the long signed texts; it is written in order, under its header, with what did not fit counted.</summary>
public sealed class ScenarioHistoryTests
{
    [Fact]
    public void Describe_Replies_ShowStateAgreementAndRefusalCodeButNotLongTexts()
    {
        var noteJson = new string('n', 400);
        var held = Reply<NoteView>.Ok(new NoteView(noteJson, NoteState.Held, "agreement-1"));
        var refused = Reply<NoteView>.Fail(ProtocolErrorCode.NoteHeldElsewhere, "note s is held for another agreement.");

        var heldText = ScenarioHistory.Describe(held);
        var refusedText = ScenarioHistory.Describe(refused);

        Assert.Contains("State=Held", heldText, StringComparison.Ordinal);
        Assert.Contains("AgreementId=agreement-1", heldText, StringComparison.Ordinal);
        Assert.DoesNotContain(noteJson, heldText, StringComparison.Ordinal);
        Assert.Contains("note_held_elsewhere", refusedText, StringComparison.Ordinal);
        Assert.Equal("<400 chars>", ScenarioHistory.Describe(noteJson));
        Assert.Equal("[3]", ScenarioHistory.Describe(new List<string> { "a", "b", "c" }));
    }

    [Fact]
    public async Task WriteAsync_KeepsTheOrderUnderTheHeaderAndCountsWhatDidNotFit()
    {
        var history = new ScenarioHistory();
        for (var entry = 0; entry < ScenarioHistory.MaxEntries + 5; entry++)
        {
            history.Add($"entry {entry}");
        }

        var path = Path.Combine(Path.GetTempPath(), "history-" + Guid.NewGuid().ToString("N") + ".log");
        try
        {
            await history.WriteAsync(path, "scenario 7 of seed 1");
            var lines = await File.ReadAllLinesAsync(path);

            Assert.Equal("scenario 7 of seed 1", lines[0]);
            Assert.EndsWith(" entry 0", lines[2], StringComparison.Ordinal);
            Assert.EndsWith($" entry {ScenarioHistory.MaxEntries - 1}", lines[^2], StringComparison.Ordinal);
            Assert.Contains("5 later entries dropped", lines[^1], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
