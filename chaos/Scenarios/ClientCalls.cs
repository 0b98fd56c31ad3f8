using System.Diagnostics;
using OrleansSettlement.Chaos.Faults;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Chaos.Scenarios;

/// <summary>
/// A client's calls into the cluster as a retrying app makes them: a call that fails (a fault, a killed silo, storage
/// down) is sent again with the same content, which is the grains' idempotency key (operation ids, the same proposal,
/// the same bundle, the same response), until the scenario's drive deadline; and a seeded share of calls is sent twice
/// at once, as a client that retried too early would.
/// </summary>
public sealed class ClientCalls(ScenarioFaults faults, double duplicateRate, TimeSpan timeout)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>How many calls failed and were sent again.</summary>
    public int Retries { get; private set; }

    /// <summary>Sends <paramref name="call"/> until it returns (a reply, refused or not); twice at once with the seeded chance.</summary>
    public async Task<T> Send<T>(Func<Task<T>> call, string what, bool duplicate = false)
    {
        ArgumentNullException.ThrowIfNull(call);
        while (true)
        {
            try
            {
                if (duplicate || faults.Draw(duplicateRate))
                {
                    duplicate = false;
                    faults.Count(FaultKind.ClientRetry);
                    var first = Attempt(call);
                    var second = Attempt(call);
                    await Task.WhenAll(first, second).ConfigureAwait(false);
                    return await second.ConfigureAwait(false);
                }

                return await call().ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException and not ScenarioDriverException and not CheckoutExpiredException)
            {
                if (_clock.Elapsed > timeout)
                {
                    throw new ScenarioDriverException($"{what} still failed after {timeout.TotalSeconds:0} s: {exception.GetType().Name}: {exception.Message}", exception);
                }

                Retries++;
                faults.Count(FaultKind.ClientRetry);
                await Task.Delay(200).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends a call whose refusal is a failure of the run's own setup (never expected of a correct service).</summary>
    public async Task<T> Ok<T>(Func<Task<Reply<T>>> call, string what, bool duplicate = false)
    {
        var reply = await Send(call, what, duplicate).ConfigureAwait(false);
        if (reply.IsOk)
        {
            return reply.Value!;
        }

        // Faults slowed the apps past the checkout's expiry, or a silo kill took the session before S7 with it: the
        // checkout ends (expired, or checkout_session_lost), which is an outcome.
        return reply.Refusal!.Code is "agreement_expired" or "checkout_expired" or "checkout_session_lost"
            ? throw new CheckoutExpiredException($"{what} was refused: {reply.Refusal.Code}: {reply.Refusal.Detail}")
            : throw new ScenarioDriverException($"{what} was refused: {reply.Refusal.Code}: {reply.Refusal.Detail}");
    }

    /// <summary>Whether the drive deadline has passed.</summary>
    public bool Expired => _clock.Elapsed > timeout;

    private static async Task<T> Attempt<T>(Func<Task<T>> call) => await call().ConfigureAwait(false);
}

/// <summary>The driver could not carry a scenario's steps through (a refusal it did not expect, or faults past its deadline).</summary>
public sealed class ScenarioDriverException : Exception
{
    public ScenarioDriverException()
    {
    }

    public ScenarioDriverException(string message)
        : base(message)
    {
    }

    public ScenarioDriverException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A step was refused because the checkout or its agreement expired, or the checkout lost its session before S7
/// (<c>checkout_session_lost</c>): the driver stops, the checkout aborts.</summary>
public sealed class CheckoutExpiredException : Exception
{
    public CheckoutExpiredException()
    {
    }

    public CheckoutExpiredException(string message)
        : base(message)
    {
    }

    public CheckoutExpiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The leader's mailbox is gone (an S1 refused <c>unknown_agreement</c>, or an accepted contribution missing):
/// it lives in the wallet activation's memory only before S7 (ADR 0018), so losing the activation loses it. The attempt
/// cannot go on; the checkout expires without payment.</summary>
public sealed class LeaderMailboxLostException : Exception
{
    public LeaderMailboxLostException()
    {
    }

    public LeaderMailboxLostException(string message)
        : base(message)
    {
    }

    public LeaderMailboxLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
