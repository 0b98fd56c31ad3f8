using System.CommandLine;
using OrleansSettlement.Cli.Crypto;

namespace OrleansSettlement.Cli;

/// <summary>canonicalize, keygen, sign, verify: the protocol's offline tools.</summary>
internal static class CryptoCommands
{
    public static IEnumerable<Command> Create() =>
    [
        CanonicalizeCommand.Create(),
        KeygenCommand.Create(),
        SignCommand.Create(),
        VerifyCommand.Create(),
    ];
}
