using System.CommandLine;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Cli.Crypto;

/// <summary><c>settle sign --key KEYFILE --purpose PURPOSE FILE</c>: a signed object.</summary>
internal static class SignCommand
{
    public static Command Create()
    {
        var key = new Option<string>("--key")
        {
            Description = "The private key (JWK) to sign with, as written by `settle keygen --out`.",
            Required = true,
            HelpName = "KEYFILE",
        };
        var purpose = new Option<string>("--purpose")
        {
            Description = "The message type the signature is for. It is stored in the object's \"purpose\" member and "
                + "signed with the rest, so the signature never verifies as another type.",
            Required = true,
            HelpName = "PURPOSE",
        };
        var file = new Argument<string>("FILE")
        {
            Description = "The JSON object to sign, or - for standard input.",
        };
        var command = new Command(
            "sign",
            "Sign the JSON object in FILE with the private key in KEYFILE for PURPOSE.\n"
            + "Prints the input plus \"purpose\" and \"sig\" as canonical JSON and a newline; the signature (ES256, IEEE P1363 r||s,\n"
            + "base64url) covers the RFC 8785 form of the object without \"sig\", so the purpose is signed too.\n"
            + "The content must follow the protocol's rules: no duplicate members, every number an integer within +-(2^53-1),\n"
            + "no \"sig\" yet, and a \"purpose\" member, if any, equal to PURPOSE.\n"
            + "Exit codes: 0 signed; 2 the input or key cannot be used (one line on stderr says why).");
        command.Options.Add(key);
        command.Options.Add(purpose);
        command.Arguments.Add(file);
        command.SetAction((parseResult, ct) => CommandRunner.RunAsync(
            "sign",
            token => RunAsync(parseResult.GetValue(key)!, parseResult.GetValue(purpose)!, parseResult.GetValue(file)!, token),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(string keyPath, string purpose, string path, CancellationToken ct)
    {
        if (keyPath == InputFiles.StandardInput)
        {
            throw CommandFailedException.Unusable("--key", "must name a file, not standard input");
        }

        if (purpose.Length == 0)
        {
            throw CommandFailedException.Unusable("--purpose", "must not be empty");
        }

        using var signer = await KeyFiles.LoadPrivateAsync(keyPath, ct).ConfigureAwait(false);
        var input = await InputFiles.ReadBytesAsync(path, ct).ConfigureAwait(false);
        var content = SafeJson.ParseObject(input);
        if (!content.IsOk)
        {
            throw CommandFailedException.Unusable(InputFiles.DisplayName(path), content.Error);
        }

        var signed = await SignedObject.SignAsync(content.Value, purpose, signer, ct).ConfigureAwait(false);
        if (!signed.IsOk)
        {
            throw CommandFailedException.Unusable(InputFiles.DisplayName(path), signed.Error);
        }

        await StandardOutput.WriteLineAsync(Jcs.Canonicalize(signed.Value), ct).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
