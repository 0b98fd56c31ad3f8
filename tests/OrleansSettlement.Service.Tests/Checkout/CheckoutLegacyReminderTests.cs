using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Service.Tests.Grains;
using OrleansSettlement.Service.Tests.Kit;

namespace OrleansSettlement.Service.Tests.Checkout;

/// <summary>
/// Checkouts registered an expiry reminder named <c>checkout</c> before ADR 0017; a row of an older deployment may still
/// hold one after an in-place upgrade. The checkout grain registers none now, and removes one it is handed (ADR 0022).
/// Real silo, reminders in Azure Table storage on Azurite.
/// </summary>
[Collection(SettlementCollection.Name)]
public sealed class CheckoutLegacyReminderTests(SettlementFixture fixture) : IDisposable
{
    private readonly SettlementKit _kit = new(fixture.Grains);

    [Fact]
    public async Task LegacyCheckoutReminder_FiresOnce_AndIsUnregistered()
    {
        var world = await ThreePayers.Create(_kit);
        var checkout = await world.OpenCheckout(_kit);
        var target = checkout.Grain.GetGrainId();
        var probe = fixture.Grains.GetGrain<IReminderProbeGrain>("legacy-" + Guid.NewGuid().ToString("N"));

        // As an older deployment did: the reminder is due at once and repeats every minute (the shortest period allowed).
        await probe.RegisterAsync(target, CheckoutGrain.LegacyReminderName, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.True(await probe.IsRegisteredAsync(target, CheckoutGrain.LegacyReminderName));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (await probe.IsRegisteredAsync(target, CheckoutGrain.LegacyReminderName) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        Assert.False(await probe.IsRegisteredAsync(target, CheckoutGrain.LegacyReminderName), "the legacy reminder is still registered");
        Assert.NotNull(await checkout.Grain.Get());
    }

    public void Dispose() => _kit.Dispose();
}
