using System.Collections.Concurrent;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Bench.Hosting;

/// <summary>How a checkout ended, as the bench saw it.</summary>
internal enum CheckoutEnd
{
    Settled,
    Aborted,
}

/// <summary>
/// Learns when a checkout has ended without polling it (polling would add grain calls to the count): an incoming call
/// filter sees the settlement grain's <see cref="ICheckoutGrain.OnOutcome"/> reach the checkout and, once the checkout
/// has handled it (its receipt written), completes the waiter of that checkout when the view is final (every bank
/// acknowledged a COMMIT, or an ABORT).
/// </summary>
internal sealed class OutcomeSignal : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<CheckoutEnd>> _waiters = new(StringComparer.Ordinal);

    /// <summary>The task that completes when the checkout <paramref name="checkoutKey"/> (<see cref="GrainKeys.Checkout"/>) ends.</summary>
    public Task<CheckoutEnd> WhenEnded(string checkoutKey) =>
        _waiters.GetOrAdd(checkoutKey, _ => new TaskCompletionSource<CheckoutEnd>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Forgets a checkout the bench no longer waits for.</summary>
    public void Forget(string checkoutKey) => _waiters.TryRemove(checkoutKey, out _);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.Invoke().ConfigureAwait(false);
        if (context.InterfaceMethod?.DeclaringType != typeof(ICheckoutGrain)
            || context.InterfaceMethod.Name != nameof(ICheckoutGrain.OnOutcome)
            || context.Request.GetArgumentCount() < 1
            || context.Request.GetArgument(0) is not SettlementView view
            || view.Decision is null)
        {
            return;
        }

        CheckoutEnd? end = view.Decision.Kind == DecisionKind.Abort ? CheckoutEnd.Aborted
            : view.Stage == SettlementStage.Completed ? CheckoutEnd.Settled
            : null;
        if (end is { } final && _waiters.TryGetValue(context.TargetId.Key.ToString()!, out var waiter))
        {
            waiter.TrySetResult(final);
        }
    }
}
