using System.CommandLine;
using OrleansSettlement.Cli.Bench;
using OrleansSettlement.Cli.Chaos;
using OrleansSettlement.Cli.Demo;
using OrleansSettlement.Cli.Service;

namespace OrleansSettlement.Cli;

/// <summary>up, demo, chaos, bench: commands that run or drive the service.</summary>
internal static class ServiceCommands
{
    public static IEnumerable<Command> Create() => [UpCommand.Create(), DemoCommand.Create(), ChaosCommand.Create(), BenchLauncher.Create()];
}
