using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansSettlement.Chaos.Faults;

/// <summary>
/// An outgoing grain call filter, registered only in chaos silos, that sends a call between the service's grains again
/// after a random delay, with the same arguments, when the target belongs to a scenario whose fault window is open. The
/// copy arrives late, after calls that followed the original: duplicated and reordered delivery, which Orleans itself
/// produces when a caller retries a call that timed out while the first one was still queued.
/// </summary>
public sealed class DuplicatingCallFilter(FaultBoard board, IServiceProvider services) : IOutgoingGrainCallFilter
{
    private const string ContractsNamespace = "OrleansSettlement.Contracts";

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // The arguments are read before the call: once it has completed, Orleans may already have reset its request for
        // reuse, and a copy made from it then carried nulls (Hold(null), ApplyCredit(null, 0)), which every grain refuses,
        // so most "duplicates" duplicated nothing.
        var method = context.InterfaceMethod;
        var duplicable = method?.DeclaringType is { Namespace: ContractsNamespace } && !IsReadOnly(method);
        var arguments = duplicable ? new object?[context.Request.GetArgumentCount()] : [];
        for (var index = 0; index < arguments.Length; index++)
        {
            arguments[index] = context.Request.GetArgument(index);
        }

        await context.Invoke().ConfigureAwait(false);
        if (!duplicable)
        {
            return;
        }

        var contract = method!.DeclaringType!;
        var key = context.TargetId.Key.ToString()!;
        var faults = board.For(key);
        if (faults is null || !faults.Draw(faults.DuplicateRate))
        {
            return;
        }

        var delay = faults.Next(0, Math.Max(1, faults.MaxReorderDelayMs));
        faults.Count(FaultKind.DuplicatedGrainCall);
        faults.History.Add($"duplicate: {method.Name} to {key} sent again in {delay} ms");
        _ = Task.Run(async () =>
        {
            await Task.Delay(delay).ConfigureAwait(false);
            faults.History.Add($"duplicate: {method.Name} to {key} sent again now");
            try
            {
                var target = services.GetRequiredService<IGrainFactory>().GetGrain(contract, key);
                if (method.Invoke(target, arguments) is Task call)
                {
                    await call.ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The copy's own failure is of no interest: the original call already returned to its caller.
            }
        });
    }

    private static bool IsReadOnly(MethodInfo method) => method.GetCustomAttribute<Orleans.Concurrency.ReadOnlyAttribute>() is not null;
}
