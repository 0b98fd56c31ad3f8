using System.Globalization;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Cli.Demo;

/// <summary>
/// Runs the demo's calls to the API, retrying those that failed on the way (no answer, a 5xx, an HTTP timeout: the
/// service may be moving grains off a silo that died) until <see cref="Patience"/> has passed. Every POST is retried with
/// the Idempotency-Key of its first attempt and the same body, so a retry never does anything twice. Refusals (4xx) are
/// not retried: they are the answer.
/// </summary>
internal sealed class DemoCalls(TimeSpan patience, Action<string, TimeSpan>? waiting = null, TimeProvider? time = null)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public TimeSpan Patience { get; } = patience;

    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        var started = _time.GetTimestamp();
        var delay = FirstDelay;
        while (true)
        {
            SettlementApiException failure;
            try
            {
                return await call(ct).ConfigureAwait(false);
            }
            catch (SettlementApiException exception) when (exception.IsTransient)
            {
                failure = exception;
            }
            catch (OperationCanceledException exception) when (!ct.IsCancellationRequested)
            {
                // HttpClient.Timeout: the API took too long to answer.
                failure = new SettlementApiException("the API did not answer within the HTTP timeout", exception);
            }

            var elapsed = _time.GetElapsedTime(started);
            if (elapsed + delay > Patience)
            {
                throw failure;
            }

            waiting?.Invoke(string.Create(
                CultureInfo.InvariantCulture,
                $"{what}: {Describe(failure)}; retrying ({elapsed.TotalSeconds:0} s of {Patience.TotalSeconds:0} s)"),
                elapsed);
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            delay = delay * 2 < LongestDelay ? delay * 2 : LongestDelay;
        }
    }

    public Task RunAsync(string what, Func<CancellationToken, Task> call, CancellationToken ct) =>
        RunAsync<bool>(
            what,
            async token =>
            {
                await call(token).ConfigureAwait(false);
                return true;
            },
            ct);

    /// <summary>A failure in words: "HTTP 503", "HTTP 500 internal_error: ...", "no answer (...)".</summary>
    public static string Describe(SettlementApiException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.Status == 0)
        {
            return failure.Detail;
        }

        return failure.Code is null
            ? string.Create(CultureInfo.InvariantCulture, $"HTTP {failure.Status}")
            : string.Create(CultureInfo.InvariantCulture, $"HTTP {failure.Status} {failure.Code}: {failure.Detail}");
    }
}
