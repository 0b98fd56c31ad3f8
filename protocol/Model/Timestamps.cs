using System.Globalization;

namespace OrleansSettlement.Protocol.Model;

/// <summary>
/// Timestamps on the wire are UTC with whole seconds in exactly one form, <c>yyyy-MM-ddTHH:mm:ssZ</c>,
/// so that a timestamp has one canonical spelling and signed objects canonicalize identically everywhere.
/// </summary>
public static class Timestamps
{
    public const string Pattern = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Drops sub-second precision, so that a value survives a round trip through the wire form.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    public static Outcome<DateTimeOffset> Parse(string? text, string field)
    {
        if (text is { Length: 20 } && DateTime.TryParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return Outcome<DateTimeOffset>.Ok(new DateTimeOffset(DateTime.SpecifyKind(parsed, DateTimeKind.Utc)));
        }

        return Outcome<DateTimeOffset>.Fail(ProtocolErrorCode.InvalidTimestamp, $"{field} must be a UTC time written as yyyy-MM-ddTHH:mm:ssZ, not '{Currency.Truncate(text)}'.");
    }
}
