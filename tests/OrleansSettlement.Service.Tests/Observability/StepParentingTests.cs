using System.Diagnostics;
using OrleansSettlement.Grains.Diagnostics;

namespace OrleansSettlement.Service.Tests.Observability;

/// <summary>
/// The rule by which a step's span finds its parent (<see cref="CheckoutTelemetry.Step"/>): inside the checkout's trace, a
/// child of the current span; in a request's trace, a child of the stored root linked to the request's span; with no
/// span at all (a timer or reminder), a child of the stored root. Runs in the observability collection, alone in the
/// process, because its listener is process-wide.
/// </summary>
[Collection(ObservabilityCollection.Name)]
public sealed class StepParentingTests : IDisposable
{
    private static readonly ActivitySource Other = new("OrleansSettlement.Tests.Requests");

    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name is CheckoutTelemetry.ActivitySourceName or "OrleansSettlement.Tests.Requests",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public StepParentingTests() => ActivitySource.AddActivityListener(_listener);

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void Step_InAnotherTrace_IsAChildOfTheStoredRootLinkedToTheRequest()
    {
        var (root, traceParent) = NewCheckoutRoot();
        using var request = Other.StartActivity("request", ActivityKind.Server)!;

        using var step = CheckoutTelemetry.Step(Steps.S5, traceParent);

        Assert.Equal(root.TraceId, step.Activity!.TraceId);
        Assert.Equal(root.SpanId, step.Activity.ParentSpanId);
        Assert.Equal(request.Context, Assert.Single(step.Activity.Links).Context);
        Assert.Equal(Steps.S5, step.Activity.GetTagItem(CheckoutTelemetry.StepAttribute));
    }

    [Fact]
    public void Step_WithNoCurrentSpan_IsAChildOfTheStoredRootWithoutLinks()
    {
        var (root, traceParent) = NewCheckoutRoot();
        Activity.Current = null;

        using var step = CheckoutTelemetry.Step(Steps.Tick, traceParent);

        Assert.Equal(root.TraceId, step.Activity!.TraceId);
        Assert.Equal(root.SpanId, step.Activity.ParentSpanId);
        Assert.Empty(step.Activity.Links);
    }

    [Fact]
    public void Step_InsideTheCheckoutsTrace_IsAChildOfTheCurrentSpan()
    {
        var (_, traceParent) = NewCheckoutRoot();
        using var outer = CheckoutTelemetry.Step(Steps.S7, traceParent);

        using var inner = CheckoutTelemetry.Step(Steps.S8, traceParent);

        Assert.Equal(outer.Activity!.SpanId, inner.Activity!.ParentSpanId);
        Assert.Empty(inner.Activity.Links);
    }

    [Fact]
    public void StartCheckout_InARequest_IsANewTraceLinkedToTheRequest()
    {
        using var request = Other.StartActivity("open", ActivityKind.Server)!;

        using var root = CheckoutTelemetry.StartCheckout("store-a", "checkout-1")!;

        Assert.Equal(default, root.ParentSpanId);
        Assert.NotEqual(request.TraceId, root.TraceId);
        Assert.Equal(request.Context, Assert.Single(root.Links).Context);
        Assert.Equal(root.Id, CheckoutTelemetry.TraceParentOf(root));
    }

    /// <summary>A checkout root made and ended, as when the checkout was opened earlier; returns it and its traceparent.</summary>
    private static (Activity Root, string TraceParent) NewCheckoutRoot()
    {
        Activity.Current = null;
        using var root = CheckoutTelemetry.StartCheckout("store-a", "checkout-" + Guid.NewGuid().ToString("N")[..8])!;
        var traceParent = CheckoutTelemetry.TraceParentOf(root)!;
        Activity.Current = null;
        return (root, traceParent);
    }
}
