using System.Diagnostics.Metrics;

namespace OrleansSettlement.Protocol.Diagnostics;

/// <summary>
/// Counters of the operations that decide a checkout's cost in CPU: ES256 verifications and signatures. They are
/// System.Diagnostics.Metrics instruments (meter <see cref="MeterName"/>), read by OpenTelemetry in the hosts and by a
/// <see cref="MeterListener"/> in the cost tests and the benchmark; counting costs one atomic add when nobody listens.
/// </summary>
public static class ProtocolMetrics
{
    public const string MeterName = "OrleansSettlement.Protocol";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>ES256 signature verifications (one per <see cref="Crypto.Es256.VerifyDigest"/> that reaches the curve).</summary>
    public static readonly Counter<long> Verifications = Meter.CreateCounter<long>("osettle.signature.verifications", description: "ES256 signature verifications");

    /// <summary>ES256 signatures made by a local signer (a remote signer counts its own calls).</summary>
    public static readonly Counter<long> Signatures = Meter.CreateCounter<long>("osettle.signature.signs", description: "ES256 signatures made locally");
}
