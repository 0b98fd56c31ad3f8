using OrleansSettlement.Contracts;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>The read a note makes to learn whether the agreement that holds it committed (ADR 0019).</summary>
public sealed partial class SettlementGrain
{
    /// <summary>From the state as read or written: the decision is set in memory by the write that persists it (a failed
    /// write reloads the row, or drops the activation when that fails too), and a settlement row is never cleared.</summary>
    public Task<DecidedAgreement?> ReadDecision() => Task.FromResult(
        state.State is { Start: { } start, Decision: { } decision } ? new DecidedAgreement(start.AgreementJson, decision) : null);
}
