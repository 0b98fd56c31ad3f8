using System.CommandLine;

namespace OrleansSettlement.Cli;

/// <summary>canonicalize, keygen, sign, verify: the protocol's offline tools.</summary>
internal static class CryptoCommands
{
    public static IEnumerable<Command> Create() => [];
}
