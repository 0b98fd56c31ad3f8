using System.Diagnostics;

namespace OrleansSettlement.Grains.Diagnostics;

/// <summary>
/// The traces of a checkout (activity source <see cref="ActivitySourceName"/>): one root span per checkout, made when the
/// store opens it, and one span per protocol step (S1-S10) that descends from it, whichever request, grain, silo or
/// reminder runs the step.
/// </summary>
/// <remarks>
/// <para>The root's context is kept as a W3C <c>traceparent</c> string with the checkout's state (and handed on with
/// the settlement's start, each bank's verify request and the leader's mailbox entry), because a checkout lives longer
/// than any one request: payers' and the leader's requests (S1, S2, S5) arrive as separate HTTP requests in traces of
/// their own, and timers and reminders (S7 retries, S8-S10 at the banks, decisions delivered again) run with no request
/// at all.</para>
/// <para>The rule of <see cref="Step"/>: a step that already runs inside the checkout's trace (a grain call made from an
/// earlier step) is a child of the current span; a step that runs in another trace (a partner's request) or in none (a
/// timer or reminder) is a child of the stored root and carries a link to the span it runs under (when that span is
/// recorded), so the request's own trace (its HTTP span, its grain call) is one click away. Storage (Azure.* sources) and Key Vault spans
/// (<c>OrleansSettlement.KeyVault</c>) are made by their clients under <see cref="Activity.Current"/>, so they descend
/// from the step that caused them.</para>
/// <para>Costs nothing when nobody listens: <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns
/// null, no context is stored, and only the step-latency histogram (<see cref="CheckoutMetrics"/>) records.</para>
/// </remarks>
public static class CheckoutTelemetry
{
    /// <summary>The activity source of checkout roots and step spans.</summary>
    public const string ActivitySourceName = "OrleansSettlement.Checkout";

    /// <summary>The root span's name (one per checkout).</summary>
    public const string RootSpanName = "checkout";

    /// <summary>The step, as the protocol names it (<c>S1</c>..<c>S10</c>) or a grain step outside them
    /// (<c>propose</c>, <c>outcome</c>, <c>retry</c>).</summary>
    public const string StepAttribute = "osettle.step";

    public const string StoreAttribute = "osettle.store";

    public const string CheckoutIdAttribute = "osettle.checkout_id";

    public const string AgreementIdAttribute = "osettle.agreement_id";

    public const string InstitutionAttribute = "osettle.institution";

    /// <summary>A wallet id (the RFC 7638 thumbprint of its public key): an id, never a key.</summary>
    public const string WalletAttribute = "osettle.wallet";

    /// <summary>The problem code of a refusal or an abort reason.</summary>
    public const string OutcomeAttribute = "osettle.outcome";

    /// <summary>The Orleans request-context key under which a grain hands the root's traceparent to the grain it calls
    /// (see <see cref="PassRoot"/>).</summary>
    public const string RootRequestContextKey = "osettle.checkout.root";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>
    /// Starts the root span of a new checkout: a new trace (never a child of the request that opens it), linked to that
    /// request's span. Null when nobody listens. Its <see cref="Activity.Id"/> is the traceparent to store.
    /// </summary>
    public static Activity? StartCheckout(string store, string checkoutId)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var request = Activity.Current;
        ActivityLink[]? links = request is { Recorded: true } ? [new ActivityLink(request.Context)] : null;
        try
        {
            // A root: the request's span must not become the parent, only a link.
            Activity.Current = null;
            var root = Source.StartActivity(RootSpanName, ActivityKind.Internal, parentContext: default, tags: null, links: links);
            if (root is { IsAllDataRequested: true })
            {
                root.SetTag(StoreAttribute, store);
                root.SetTag(CheckoutIdAttribute, checkoutId);
            }

            return root;
        }
        finally
        {
            if (Activity.Current is null)
            {
                Activity.Current = request;
            }
        }
    }

    /// <summary>The traceparent to store for <paramref name="root"/>: only a W3C id of a recorded span, else null.</summary>
    public static string? TraceParentOf(Activity? root) =>
        root is { IdFormat: ActivityIdFormat.W3C, Recorded: true } ? root.Id : null;

    /// <summary>
    /// Hands <paramref name="root"/> to the grains called until the returned scope is disposed (Orleans request context),
    /// for a callee that keeps it for later requests of the same checkout without a field in its interface: the leader's
    /// wallet keeps it with the agreement it leads, so that S1 contributions join the checkout.
    /// </summary>
    public static IDisposable PassRoot(string? root)
    {
        if (root is null)
        {
            return NoScope.Instance;
        }

        RequestContext.Set(RootRequestContextKey, root);
        return new RootScope();
    }

    /// <summary>The root's traceparent a caller handed over with <see cref="PassRoot"/>, or null.</summary>
    public static string? RootFromCaller() => RequestContext.Get(RootRequestContextKey) as string;

    /// <summary>
    /// Starts the span of one step under the checkout whose root is <paramref name="root"/> (a stored traceparent, or null
    /// when the checkout has none), by the rule in the remarks of <see cref="CheckoutTelemetry"/>. Dispose it when the step
    /// ends: that also records the step's latency.
    /// </summary>
    public static StepScope Step(string step, string? root)
    {
        ArgumentException.ThrowIfNullOrEmpty(step);
        var started = Stopwatch.GetTimestamp();
        if (!Source.HasListeners())
        {
            return new StepScope(step, null, started);
        }

        var current = Activity.Current;
        var parent = default(ActivityContext);
        ActivityLink[]? links = null;
        if (root is not null && ActivityContext.TryParse(root, null, isRemote: true, out var rootContext)
            && (current is null || current.TraceId != rootContext.TraceId))
        {
            parent = rootContext;
            links = current is { Recorded: true } ? [new ActivityLink(current.Context)] : null;
        }

        var activity = Source.StartActivity(step, ActivityKind.Internal, parent, tags: null, links: links);
        activity?.SetTag(StepAttribute, step);
        return new StepScope(step, activity, started);
    }

    private sealed class RootScope : IDisposable
    {
        public void Dispose() => RequestContext.Remove(RootRequestContextKey);
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>One step's span (maybe none) and its start, for the latency histogram. Dispose ends both.</summary>
public sealed class StepScope : IDisposable
{
    private readonly string _step;
    private readonly long _started;
    private bool _disposed;

    internal StepScope(string step, Activity? activity, long started)
    {
        _step = step;
        Activity = activity;
        _started = started;
    }

    /// <summary>The step's span; null when nobody listens.</summary>
    public Activity? Activity { get; }

    /// <summary>Adds an attribute (ids and codes only: never a key, signature, token or personal data).</summary>
    public StepScope Tag(string name, object? value)
    {
        if (Activity is { IsAllDataRequested: true })
        {
            Activity.SetTag(name, value);
        }

        return this;
    }

    /// <summary>Marks the step as refused or failed with a problem code (a business refusal is not an error status).</summary>
    public StepScope Outcome(string code) => Tag(CheckoutTelemetry.OutcomeAttribute, code);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CheckoutMetrics.RecordStep(_step, Stopwatch.GetElapsedTime(_started));
        Activity?.Dispose();
    }
}

/// <summary>The step names of <see cref="CheckoutTelemetry.Step"/>: the protocol's S1-S10 (docs/protocol.md) and the grain
/// steps around them.</summary>
public static class Steps
{
    /// <summary>A payer's contribution reaches the leader's mailbox (one per contribution).</summary>
    public const string S1 = "S1";

    /// <summary>The leader's bundle reaches the checkout.</summary>
    public const string S2 = "S2";

    /// <summary>The checkout matches the agreement infos and checks requests and notes.</summary>
    public const string S3 = "S3";

    /// <summary>Challenges are signed, stored and delivered (again when renewed).</summary>
    public const string S4 = "S4";

    /// <summary>A payer's response reaches the checkout (one per response).</summary>
    public const string S5 = "S5";

    /// <summary>The checkout verifies a response and records it.</summary>
    public const string S6 = "S6";

    /// <summary>The package is handed to the settlement grain, which sends each bank its part.</summary>
    public const string S7 = "S7";

    /// <summary>A bank verifies again and holds the notes (one per bank).</summary>
    public const string S8 = "S8";

    /// <summary>A bank's signed result goes to the settlement grain, which decides when all are in (one per bank).</summary>
    public const string S9 = "S9";

    /// <summary>A bank carries out the decision (one per bank, more when retried).</summary>
    public const string S10 = "S10";

    /// <summary>The leader proposes the agreement at the checkout.</summary>
    public const string Propose = "propose";

    /// <summary>The checkout records the settlement's news (votes, decision, acknowledgements, receipt).</summary>
    public const string Outcome = "outcome";

    /// <summary>A timer or reminder tick: expiry, retries, decisions delivered again.</summary>
    public const string Tick = "tick";
}
