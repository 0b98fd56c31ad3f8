using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OrleansSettlement.Chaos.Faults;

/// <summary>
/// An incoming grain call filter, registered only in chaos silos, that writes every call a scenario's grains receive into
/// that scenario's <see cref="ScenarioHistory"/>: the silo and the activation that took it (two activations of one grain
/// show up as two activation ids), the method and its arguments, and the answer or the exception. Calls from the client
/// (the driver) and between grains alike; before, during and after the fault window, until the scenario ends.
/// </summary>
public sealed class HistoryCallFilter(FaultBoard board, ILocalSiloDetails silo) : IIncomingGrainCallFilter
{
    private const string ContractsNamespace = "OrleansSettlement.Contracts";

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var method = context.InterfaceMethod;
        var faults = method?.DeclaringType?.Namespace == ContractsNamespace ? board.Owner(context.TargetId.Key.ToString()!) : null;
        if (faults is null)
        {
            await context.Invoke().ConfigureAwait(false);
            return;
        }

        var call = new StringBuilder()
            .Append(silo.SiloAddress.Endpoint.Port).Append(' ')
            .Append(context.TargetId.Type).Append('/').Append(context.TargetId.Key).Append(" act ")
            .Append(context.TargetContext?.ActivationId.ToString() ?? "?").Append(' ')
            .Append(method!.Name).Append('(');
        for (var index = 0; index < context.Request.GetArgumentCount(); index++)
        {
            call.Append(index == 0 ? "" : ", ").Append(ScenarioHistory.Describe(context.Request.GetArgument(index)));
        }

        call.Append(')');
        var started = Stopwatch.GetTimestamp();
        try
        {
            await context.Invoke().ConfigureAwait(false);
            faults.History.Add($"{call} -> {ScenarioHistory.Describe(context.Result)} ({Took(started)})");
        }
        catch (Exception exception)
        {
            faults.History.Add($"{call} -> threw {ScenarioHistory.Describe(exception)} ({Took(started)})");
            throw;
        }
    }

    private static string Took(long started) =>
        string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
}
