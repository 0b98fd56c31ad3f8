using System.CommandLine;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Cli.Crypto;

/// <summary><c>settle keygen --out KEYFILE</c>: a new ES256 key pair.</summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "Where to write the new private key (a JWK with \"d\"). Created with mode 0600 on Unix; keep it secret.",
            Required = true,
            HelpName = "KEYFILE",
        };
        var publicOutput = new Option<string>("--public-out")
        {
            Description = "Also write the public JWK to this file: the file to give `settle verify --jwk` and to your counterparties.",
            HelpName = "PUBLIC_JWK_FILE",
        };
        var force = new Option<bool>("--force")
        {
            Description = "Replace files that already exist (the default is to refuse).",
        };
        var command = new Command(
            "keygen",
            "Make a new ES256 (ECDSA P-256) key pair.\n"
            + "Writes the private key (a JWK) to KEYFILE, with mode 0600 on Unix, and never over an existing file unless --force.\n"
            + "Prints 'private key: KEYFILE', 'public jwk: {...}' (canonical JSON) and 'thumbprint: ...' (RFC 7638: the key's kid).\n"
            + "Exit codes: 0 written; 2 failed (one line on stderr says why).");
        command.Options.Add(output);
        command.Options.Add(publicOutput);
        command.Options.Add(force);
        command.SetAction((parseResult, ct) => CommandRunner.RunAsync(
            "keygen",
            token => RunAsync(parseResult.GetValue(output)!, parseResult.GetValue(publicOutput), parseResult.GetValue(force), token),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(string privatePath, string? publicPath, bool force, CancellationToken ct)
    {
        OutputFiles.CheckWritable(privatePath, force);
        if (publicPath is not null)
        {
            OutputFiles.CheckWritable(publicPath, force);
            if (string.Equals(Path.GetFullPath(publicPath), Path.GetFullPath(privatePath), StringComparison.Ordinal))
            {
                throw CommandFailedException.Unusable(publicPath, "--public-out must name another file than --out");
            }
        }

        using var signer = LocalSigner.Generate();
        var publicKey = signer.PublicKey;
        var publicJson = Jcs.CanonicalizeToString(publicKey.ToJson());

        OutputFiles.Write(privatePath, signer.ToPrivateJwkJson() + "\n", secret: true, force);
        if (publicPath is not null)
        {
            OutputFiles.Write(publicPath, publicJson + "\n", secret: false, force);
        }

        string[] lines =
        [
            $"private key: {privatePath}",
            $"public jwk: {publicJson}",
            $"thumbprint: {publicKey.Thumbprint}",
        ];
        await StandardOutput.WriteLinesAsync(lines, ct).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
