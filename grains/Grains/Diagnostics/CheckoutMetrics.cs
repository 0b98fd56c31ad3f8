using System.Diagnostics.Metrics;

namespace OrleansSettlement.Grains.Diagnostics;

/// <summary>
/// What operators watch of the checkouts (meter <see cref="MeterName"/>): how many open, settle and abort (by reason),
/// how long each protocol step takes, and how many agreements are between S7 and the end of S10. Exported by the hosts'
/// OpenTelemetry meter provider; read in tests with a <see cref="MeterListener"/>. Attributes are low-cardinality on
/// purpose (a step name, a problem code), never an id.
/// </summary>
/// <remarks>Durable writes, ES256 operations, grain calls and Key Vault operations have meters of their own
/// (<c>OrleansSettlement.Storage</c>, <c>OrleansSettlement.Protocol</c>, <c>OrleansSettlement.Grains</c>,
/// <c>OrleansSettlement.KeyVault</c>).</remarks>
public static class CheckoutMetrics
{
    public const string MeterName = "OrleansSettlement.Checkout";

    /// <summary>The abort reason attribute of <see cref="Aborted"/>: the checkout's problem code.</summary>
    public const string ReasonAttribute = "reason";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Checkouts opened (a repeat of the same open is not counted).</summary>
    public static readonly Counter<long> Opened = Meter.CreateCounter<long>("osettle.checkouts.opened", unit: "{checkout}", description: "Checkouts opened by stores");

    /// <summary>Checkouts that ended settled at every bank.</summary>
    public static readonly Counter<long> Settled = Meter.CreateCounter<long>("osettle.checkouts.settled", unit: "{checkout}", description: "Checkouts settled at every bank");

    /// <summary>Checkouts that ended aborted, by <see cref="ReasonAttribute"/> (e.g. <c>checkout_expired</c>, <c>note_already_spent</c>).</summary>
    public static readonly Counter<long> Aborted = Meter.CreateCounter<long>("osettle.checkouts.aborted", unit: "{checkout}", description: "Checkouts aborted, by reason");

    /// <summary>How long one step took where it ran (tag <c>step</c>: S1..S10, propose, outcome, retry), in seconds.</summary>
    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("osettle.step.duration", unit: "s", description: "Duration of one protocol step where it ran");

    /// <summary>
    /// Agreements begun at a settlement grain (S7) and not yet completed (every bank acknowledged, S10). Each silo adds
    /// and subtracts for the settlement grains it hosts, so the sum over silos is the number in flight; a silo that
    /// dies takes its additions with it, which shows as a dip until the gauge's series restart.
    /// </summary>
    public static readonly UpDownCounter<long> AgreementsInFlight = Meter.CreateUpDownCounter<long>("osettle.agreements.in_flight", unit: "{agreement}", description: "Agreements between S7 and completion");

    internal static void RecordStep(string step, TimeSpan elapsed) =>
        StepDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("step", step));

    /// <summary>Counts a checkout that reached a terminal stage: settled, or aborted with <paramref name="reason"/>.</summary>
    public static void Ended(bool settled, string? reason)
    {
        if (settled)
        {
            Settled.Add(1);
        }
        else
        {
            Aborted.Add(1, new KeyValuePair<string, object?>(ReasonAttribute, reason ?? "unknown"));
        }
    }
}
