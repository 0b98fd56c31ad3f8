using System.Globalization;

namespace OrleansSettlement.Cli.Demo;

/// <summary>How the demo writes amounts, durations and times.</summary>
internal static class DemoText
{
    /// <summary>"EUR 120.00" for 12000 minor units (the demo's currency has 2 decimals).</summary>
    public static string Money(long amountMinor, string currency = DemoCatalog.Currency)
    {
        var sign = amountMinor < 0 ? "-" : "";
        var magnitude = Math.Abs(amountMinor);
        return string.Create(CultureInfo.InvariantCulture, $"{currency} {sign}{magnitude / 100}.{magnitude % 100:00}");
    }

    /// <summary>"+EUR 120.00", "-EUR 40.00", "EUR 0.00": a change of an amount.</summary>
    public static string Delta(long amountMinor, string currency = DemoCatalog.Currency) =>
        amountMinor switch
        {
            > 0 => "+" + Money(amountMinor, currency),
            < 0 => "-" + Money(-amountMinor, currency),
            _ => Money(0, currency),
        };

    public static string Milliseconds(long milliseconds) => string.Create(CultureInfo.InvariantCulture, $"{milliseconds} ms");

    public static string Seconds(TimeSpan elapsed) => string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.0} s");

    /// <summary>An ISO 8601 UTC time with milliseconds: 2026-11-26T10:15:00.123Z.</summary>
    public static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The time of day of an ISO 8601 timestamp ("10:15:00.123"), or the text itself when it is not one.</summary>
    public static string TimeOfDay(string timestamp)
    {
        var t = timestamp.IndexOf('T', StringComparison.Ordinal);
        return t < 0 ? timestamp : timestamp[(t + 1)..].TrimEnd('Z');
    }

    /// <summary>A long id shortened for a terminal: its first 10 characters and an ellipsis.</summary>
    public static string Short(string id) => id.Length <= 12 ? id : id[..10] + "…";

    public static string Count(int count, string singular, string plural) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural)}");
}
