namespace OrleansSettlement.Cli.Tests;

internal static class Assertions
{
    /// <summary>stderr is exactly one line, <c>settle: SUBJECT: ...</c>, containing <paramref name="reason"/>.</summary>
    public static void OneLineReason(SettleResult result, string subject, string reason)
    {
        var stderr = result.Stderr.TrimEnd('\n', '\r');
        Assert.False(stderr.Contains('\n', StringComparison.Ordinal), $"stderr is more than one line:\n{result}");
        Assert.StartsWith($"settle: {subject}: ", stderr, StringComparison.Ordinal);
        Assert.Contains(reason, stderr, StringComparison.OrdinalIgnoreCase);
    }
}
