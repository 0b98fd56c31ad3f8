using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Cli.Crypto;

/// <summary><c>settle verify --jwk PUBLIC_JWK_FILE FILE</c>: is this signed object valid for that key?</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var jwk = new Option<string>("--jwk")
        {
            Description = "The signer's public key as a JWK (kty EC, crv P-256, x, y), as printed by `settle keygen` or "
                + "written by its --public-out. A private key (with \"d\") is refused (exit 2): give the public part only.",
            Required = true,
            HelpName = "PUBLIC_JWK_FILE",
        };
        var purpose = new Option<string>("--purpose")
        {
            Description = "The purpose the object must be signed for. Without it, the object's own \"purpose\" member is "
                + "used, which proves only that the key signed the object for the purpose it names; pass --purpose "
                + "when you rely on the message type. An object signed for another purpose is not valid (exit 1).",
            HelpName = "PURPOSE",
        };
        var file = new Argument<string>("FILE")
        {
            Description = "The signed JSON object (with \"purpose\" and \"sig\"), or - for standard input.",
        };
        var command = new Command(
            "verify",
            "Check the signature of the signed JSON object in FILE against the public key in PUBLIC_JWK_FILE.\n"
            + "The expected purpose is the object's own \"purpose\" member unless --purpose is given.\n"
            + "Exit codes:\n"
            + "  0  valid (prints 'valid: ...' on stdout)\n"
            + "  1  not valid: the check ran and the signature does not verify for this key and purpose\n"
            + "     (content altered, another key, another purpose)\n"
            + "  2  the check could not run: unreadable file, invalid JSON or not an object, a number that is not\n"
            + "     an integer within +-(2^53-1), an invalid JWK or a private one, no \"purpose\", no \"sig\", or a\n"
            + "     \"sig\" that is not strict base64url of 64 bytes\n"
            + "On 1 and 2 one line on stderr says why.");
        command.Options.Add(jwk);
        command.Options.Add(purpose);
        command.Arguments.Add(file);
        command.SetAction((parseResult, ct) => CommandRunner.RunAsync(
            "verify",
            token => RunAsync(parseResult.GetValue(jwk)!, parseResult.GetValue(purpose), parseResult.GetValue(file)!, token),
            ct));
        return command;
    }

    /// <summary>Whether a verification error means "checked and not valid" (exit 1) rather than "could not check" (exit 2).</summary>
    public static bool IsVerdict(ProtocolErrorCode code) =>
        code is ProtocolErrorCode.BadSignature or ProtocolErrorCode.WrongPurpose or ProtocolErrorCode.UnknownKey;

    private static async Task<int> RunAsync(string jwkPath, string? expectedPurpose, string path, CancellationToken ct)
    {
        if (jwkPath == InputFiles.StandardInput)
        {
            throw CommandFailedException.Unusable("--jwk", "must name a file, not standard input");
        }

        if (expectedPurpose is { Length: 0 })
        {
            throw CommandFailedException.Unusable("--purpose", "must not be empty");
        }

        var key = await KeyFiles.LoadPublicAsync(jwkPath, ct).ConfigureAwait(false);
        var name = InputFiles.DisplayName(path);
        var input = await InputFiles.ReadBytesAsync(path, ct).ConfigureAwait(false);
        var parsed = SafeJson.ParseObject(input);
        if (!parsed.IsOk)
        {
            throw CommandFailedException.Unusable(name, parsed.Error);
        }

        var signed = parsed.Value;
        var ownPurpose = OwnPurpose(signed, name);
        var purpose = expectedPurpose ?? ownPurpose;
        var error = SignedObject.Verify(signed, key, purpose);
        if (error is not null)
        {
            var exitCode = IsVerdict(error.Code) ? ExitCodes.NotValid : ExitCodes.Unusable;
            var verdict = exitCode == ExitCodes.NotValid ? "not valid: " : "";
            throw new CommandFailedException(exitCode, name, $"{verdict}{error}");
        }

        await StandardOutput.WriteLinesAsync(
            [$"valid: {name} is signed for purpose \"{purpose}\" by key {key.Thumbprint}"],
            ct).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static string OwnPurpose(JsonObject signed, string name)
    {
        if (!signed.TryGetPropertyValue(SignedObject.PurposeMember, out var node) || node is null)
        {
            throw CommandFailedException.Unusable(name, new ProtocolError(
                ProtocolErrorCode.MissingField,
                $"the object has no \"{SignedObject.PurposeMember}\" member, so there is no purpose to check the signature for."));
        }

        if (node.GetValueKind() != JsonValueKind.String || node.GetValue<string>().Length == 0)
        {
            throw CommandFailedException.Unusable(name, new ProtocolError(
                ProtocolErrorCode.InvalidField,
                $"\"{SignedObject.PurposeMember}\" must be a non-empty string."));
        }

        return node.GetValue<string>();
    }
}
