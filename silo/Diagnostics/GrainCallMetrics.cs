using System.Diagnostics.Metrics;

namespace OrleansSettlement.Silo.Diagnostics;

/// <summary>
/// Counts the calls every grain of this service receives, by grain interface (meter <see cref="MeterName"/>,
/// instrument <c>osettle.grain.calls</c>, tag <c>interface</c>). Orleans' own system grains are not counted.
/// </summary>
public sealed class GrainCallMetrics : IIncomingGrainCallFilter
{
    public const string MeterName = "OrleansSettlement.Grains";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Calls = Meter.CreateCounter<long>("osettle.grain.calls", description: "Calls received by the service's grains");

    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var type = context.InterfaceMethod?.DeclaringType;
        if (type?.Namespace?.StartsWith("OrleansSettlement", StringComparison.Ordinal) == true)
        {
            Calls.Add(1, new KeyValuePair<string, object?>("interface", type.Name));
        }

        return context.Invoke();
    }
}
