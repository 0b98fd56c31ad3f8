using Orleans.Timers;

namespace OrleansSettlement.Service.Tests.Grains;

/// <summary>A test-only grain that registers and reads reminders for another grain, as an older deployment of that
/// grain's class did for itself (reminders can only be registered from a grain's context).</summary>
[Alias("OrleansSettlement.Service.Tests.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("Register")]
    Task RegisterAsync(GrainId target, string name, TimeSpan dueTime, TimeSpan period);

    [Alias("IsRegistered")]
    Task<bool> IsRegisteredAsync(GrainId target, string name);
}

public sealed class ReminderProbeGrain(IReminderRegistry reminders) : Grain, IReminderProbeGrain
{
    public Task RegisterAsync(GrainId target, string name, TimeSpan dueTime, TimeSpan period) =>
        reminders.RegisterOrUpdateReminder(target, name, dueTime, period);

    public async Task<bool> IsRegisteredAsync(GrainId target, string name) =>
        await reminders.GetReminder(target, name).ConfigureAwait(true) is not null;
}
