using System.Collections.Concurrent;
using System.Reflection;
using OrleansSettlement.Bench.Measure;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>
/// Names the grain method a durable write happens in: an incoming call filter sets the method
/// (<c>IWalletGrain.ReceiveContribution</c>) for the async flow of the call, where the counting grain storage reads it;
/// it also counts the calls by method. Writes made outside any call (a grain timer, a system target such as the reminder
/// service) read "(timer or system)".
/// </summary>
internal sealed class CallSites(WriteTally tally) : IIncomingGrainCallFilter
{
    public const string Outside = "(timer or system)";

    private static readonly AsyncLocal<string?> CurrentSite = new();

    // The site name of each method, made once (a string per call was a measurable part of the bench's own CPU).
    private static readonly ConcurrentDictionary<MethodInfo, string?> Sites = new();

    /// <summary>The grain method whose turn is running, or <see cref="Outside"/>.</summary>
    public static string Current => CurrentSite.Value ?? Outside;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var method = context.InterfaceMethod;
        var site = method is null ? null : Sites.GetOrAdd(method, SiteOf);
        if (site is null)
        {
            await context.Invoke().ConfigureAwait(false);
            return;
        }

        tally.Call(site);
        var before = CurrentSite.Value;
        CurrentSite.Value = site;
        try
        {
            await context.Invoke().ConfigureAwait(false);
        }
        finally
        {
            CurrentSite.Value = before;
        }
    }

    private static string? SiteOf(MethodInfo method) =>
        method.DeclaringType?.Namespace?.StartsWith("OrleansSettlement", StringComparison.Ordinal) == true || method.DeclaringType == typeof(IRemindable)
            ? $"{method.DeclaringType!.Name}.{method.Name}"
            : null;
}
