using System.Collections.Concurrent;
using System.Reflection;
using OrleansSettlement.Bench.Measure;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>
/// Times the calls the service's grains make to each other, from the caller's side (so a call's time includes waiting in
/// the callee's queue, which an incoming filter does not see), and records the slow ones in <see cref="SlowOperations"/>
/// as <c>call IAccountGrain.Get</c>: a grain that many checkouts queue at shows there. One-way calls return at once and
/// are not timed.
/// </summary>
internal sealed class SlowCalls : IOutgoingGrainCallFilter
{
    private static readonly ConcurrentDictionary<MethodInfo, string?> Names = new();

    public Task Invoke(IOutgoingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = context.InterfaceMethod is { } method ? Names.GetOrAdd(method, NameOf) : null;
        return name is null ? context.Invoke() : SlowOperations.TimeAsync(name, context.Invoke);
    }

    private static string? NameOf(MethodInfo method) =>
        method.DeclaringType?.Namespace?.StartsWith("OrleansSettlement", StringComparison.Ordinal) == true
            ? $"call {method.DeclaringType.Name}.{method.Name}"
            : null;
}
