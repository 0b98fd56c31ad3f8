using System.Diagnostics;
using System.Security.Cryptography;
using Orleans.Storage;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Bench.Measure;

/// <summary>
/// This machine's limits, measured in the same run as the load so that the ratios compare like with like: ES256
/// verifications per second on every core (the protocol library's own verify path), and raw grain-state writes per
/// second through the silo's grain storage provider at the load's concurrency.
/// </summary>
internal static class MachineLimits
{
    /// <summary>ES256 verifications per second with one verifying thread per core, and the process CPU time one
    /// verification took (nothing else runs yet, so the process's CPU is the verifiers'), which other processes' load on
    /// the machine does not change.</summary>
    public static (double PerSecond, double CpuMicroseconds) Verifications(TimeSpan duration)
    {
        using var signer = LocalSigner.Generate();
        var digest = SHA256.HashData("bench verification"u8);
        var signature = signer.SignDigestAsync(digest).AsTask().GetAwaiter().GetResult().SignatureP1363;
        var key = signer.PublicKey;
        var threads = Environment.ProcessorCount;
        var counts = new long[threads];
        var cpu = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long n = 0;
            while (clock.Elapsed < duration)
            {
                if (!Es256.VerifyDigest(key, digest, signature))
                {
                    throw new InvalidOperationException("a valid signature did not verify.");
                }

                n++;
            }

            counts[t] = n;
        });
        var total = Math.Max(1, counts.Sum());
        return (total / clock.Elapsed.TotalSeconds, (Environment.CpuUsage.TotalTime - cpu).TotalMicroseconds / total);
    }

    /// <summary>
    /// Grain-state writes per second straight to <paramref name="storage"/> (no grain in between): <paramref name="concurrency"/>
    /// writers, each rewriting its own row of <paramref name="stateBytes"/> bytes, for <paramref name="duration"/>.
    /// </summary>
    public static async Task<double> RawWritesPerSecondAsync(IGrainStorage storage, int concurrency, int stateBytes, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var run = Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async w =>
        {
            var id = GrainId.Create("benchprobe", $"{run}-{w}");
            var state = new GrainState<byte[]>(new byte[stateBytes]);
            long n = 0;
            while (clock.Elapsed < duration)
            {
                state.State![0] = unchecked((byte)n);
                await storage.WriteStateAsync("probe", id, state).ConfigureAwait(false);
                n++;
            }

            return n;
        })).ConfigureAwait(false);
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }
}
