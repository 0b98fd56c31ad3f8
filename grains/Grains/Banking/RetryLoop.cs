using Microsoft.Extensions.Logging;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// Retries a grain's unfinished durable work until it is done: a durable reminder (survives deactivation and silo loss;
/// <see cref="BankingOptions.ReminderPeriod"/>) and, while the grain is active, a fast grain timer
/// (<see cref="BankingOptions.RetryPeriod"/>). The work itself must be idempotent and driven by persisted state.
/// </summary>
internal sealed partial class RetryLoop(Grain grain, string reminderName, BankingOptions options, Func<Task> work, ILogger logger)
{
    private IGrainTimer? _timer;
    private IGrainReminder? _reminder;

    /// <summary>Registers the reminder (call it in the turn that persists the work, before the write).</summary>
    public async Task ArmAsync()
    {
        _reminder = await grain.RegisterOrUpdateReminder(reminderName, options.ReminderPeriod, options.ReminderPeriod).ConfigureAwait(true);
    }

    /// <summary>Starts the fast timer (after a failed attempt, while the grain is active); the reminder stays.</summary>
    public void StartTimer()
    {
        if (_timer is not null)
        {
            return;
        }

        var period = options.RetryPeriod;
        _timer = grain.RegisterGrainTimer(OnTimerAsync, period, period);
    }

    /// <summary>Stops the fast timer; the reminder, if any, stays.</summary>
    public void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>Stops the timer and removes the reminder: the work is done. A failure to remove the reminder is logged,
    /// not thrown (the reminder then finds nothing to do and removes itself).</summary>
    public async Task DisarmAsync()
    {
        StopTimer();
        try
        {
            var reminder = _reminder ?? await grain.GetReminder(reminderName).ConfigureAwait(true);
            if (reminder is not null)
            {
                await grain.UnregisterReminder(reminder).ConfigureAwait(true);
            }

            _reminder = null;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogUnregisterFailed(logger, exception, reminderName, grain.GetGrainId().ToString());
        }
    }

    private async Task OnTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await work().ConfigureAwait(true);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            LogRetryFailed(logger, exception, reminderName, grain.GetGrainId().ToString());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retry {Work} of {Grain} failed; it is tried again")]
    private static partial void LogRetryFailed(ILogger logger, Exception exception, string work, string grain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing the reminder {Work} of {Grain} failed; it removes itself when it next finds nothing to do")]
    private static partial void LogUnregisterFailed(ILogger logger, Exception exception, string work, string grain);
}
