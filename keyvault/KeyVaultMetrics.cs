using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace OrleansSettlement.KeyVault;

/// <summary>
/// Key Vault operations and throttling (meter <see cref="MeterName"/>): one count per operation as the caller sees it
/// (after Azure.Core's retries), and one per 429 answer Key Vault gives to any attempt, retried or not, so throttling
/// shows even when the retries absorb it. Key Vault allows 2,000 (HSM) or 4,000 (software key) ECC operations per vault
/// per 10 s (../shared/STACK-FACTS.md).
/// </summary>
public static class KeyVaultMetrics
{
    public const string MeterName = "OrleansSettlement.KeyVault";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Operations, tagged <c>operation</c> (<c>get_key</c>, <c>sign</c>) and <c>outcome</c> (<c>ok</c>, or the
    /// HTTP status or error type of a failure).</summary>
    public static readonly Counter<long> Operations = Meter.CreateCounter<long>("osettle.keyvault.operations", unit: "{operation}", description: "Key Vault operations, after retries");

    /// <summary>HTTP 429 answers from Key Vault, per attempt.</summary>
    public static readonly Counter<long> Throttled = Meter.CreateCounter<long>("osettle.keyvault.throttled", unit: "{response}", description: "Key Vault 429 answers, per attempt");

    internal static void Operation(string operation, string outcome) =>
        Operations.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Counts every attempt's 429 (placed per retry, so each attempt passes through it).</summary>
    internal sealed class ThrottlePolicy : HttpPipelineSynchronousPolicy
    {
        public override void OnReceivedResponse(HttpMessage message)
        {
            if (message.HasResponse && message.Response.Status == 429)
            {
                Throttled.Add(1);
            }
        }
    }
}
