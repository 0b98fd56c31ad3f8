using System.CommandLine;
using OrleansSettlement.Cli.Service;

namespace OrleansSettlement.Cli;

/// <summary>up (and later demo, chaos, bench): commands that run or drive the service.</summary>
internal static class ServiceCommands
{
    public static IEnumerable<Command> Create() => [UpCommand.Create()];
}
