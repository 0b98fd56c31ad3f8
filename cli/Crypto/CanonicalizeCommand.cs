using System.CommandLine;
using OrleansSettlement.Protocol.Canonical;

namespace OrleansSettlement.Cli.Crypto;

/// <summary><c>settle canonicalize FILE</c>: the RFC 8785 bytes of a JSON text.</summary>
internal static class CanonicalizeCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The JSON file to canonicalize, or - for standard input.",
        };
        var command = new Command(
            "canonicalize",
            "Write the RFC 8785 (JCS) canonical form of the JSON in FILE to stdout: exactly those bytes, UTF-8, no trailing newline.\n"
            + "Invalid JSON, duplicate member names and lone surrogates are refused.\n"
            + "Exit codes: 0 written; 2 the input cannot be used (one line on stderr says why).");
        command.Arguments.Add(file);
        command.SetAction((parseResult, ct) => CommandRunner.RunAsync(
            "canonicalize",
            token => RunAsync(parseResult.GetValue(file)!, token),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(string path, CancellationToken ct)
    {
        var input = await InputFiles.ReadBytesAsync(path, ct).ConfigureAwait(false);
        var canonical = Jcs.Canonicalize(input);
        if (!canonical.IsOk)
        {
            throw CommandFailedException.Unusable(InputFiles.DisplayName(path), canonical.Error);
        }

        await StandardOutput.WriteAsync(canonical.Value, ct).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
