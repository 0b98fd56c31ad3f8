using System.CommandLine;

namespace OrleansSettlement.Cli;

/// <summary>up (and later demo, chaos, bench): commands that run or drive the service.</summary>
internal static class ServiceCommands
{
    public static IEnumerable<Command> Create() => [];
}
