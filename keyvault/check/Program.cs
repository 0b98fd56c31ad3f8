using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Azure.Identity;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Protocol.Crypto;

// keyvault-check --vault https://NAME.vault.azure.net/ --key NAME [--version VERSION] [--signs N]
// Gets the key's public part, signs N random SHA-256 digests in the vault (ES256), verifies each signature locally with
// the public key, and prints the kid (RFC 7638 thumbprint) and the latencies. Credentials: DefaultAzureCredential
// (managed identity in Azure, `az login` locally). Exit 0 when every signature verified; 1 when a signature did not
// verify; 2 when the check could not run (usage, no credential, vault or key unreachable).
var options = ParseArguments(args);
if (options is null)
{
    Console.Error.WriteLine("usage: keyvault-check --vault https://NAME.vault.azure.net/ --key NAME [--version VERSION] [--signs N]");
    return 2;
}

try
{
    var client = new KeyVaultKeysClient(options.Value.Vault, new DefaultAzureCredential());
    var clock = Stopwatch.StartNew();
    var key = await client.GetKeyAsync(options.Value.Key, options.Value.Version).ConfigureAwait(false);
    Console.WriteLine($"key      {key.KeyId}");
    Console.WriteLine($"kid      {key.Kid} (RFC 7638 thumbprint of the public key)");
    Console.WriteLine($"get key  {clock.ElapsedMilliseconds} ms");
    var signer = new KeyVaultSigner(client, key.Name, key.Version);
    var latencies = new List<long>();
    for (var i = 0; i < options.Value.Signs; i++)
    {
        var digest = SHA256.HashData(RandomNumberGenerator.GetBytes(32));
        clock.Restart();
        var signature = await signer.SignDigestAsync(digest).ConfigureAwait(false);
        latencies.Add(clock.ElapsedMilliseconds);
        if (!Es256.VerifyDigest(key.PublicKey, digest, signature.SignatureP1363))
        {
            Console.Error.WriteLine($"keyvault-check: signature {i + 1} does not verify with the key's public part.");
            return 1;
        }
    }

    latencies.Sort();
    Console.WriteLine($"signs    {latencies.Count}, all verified locally; latency min {latencies[0]} ms, median {latencies[latencies.Count / 2]} ms, max {latencies[^1]} ms");
    return 0;
}
catch (Exception exception) when (exception is CredentialUnavailableException or AuthenticationFailedException)
{
    Console.Error.WriteLine("keyvault-check: no Azure credential is available (sign in with `az login`, or run with a managed identity): " + FirstLine(exception.Message));
    return 2;
}
catch (Exception exception) when (exception is KeyVaultException or HttpRequestException or Azure.RequestFailedException or TaskCanceledException)
{
    Console.Error.WriteLine($"keyvault-check: the vault could not be used: {FirstLine(exception.Message)}");
    return 2;
}

static (Uri Vault, string Key, string? Version, int Signs)? ParseArguments(string[] args)
{
    Uri? vault = null;
    string? key = null, version = null;
    var signs = 3;
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        switch (args[i])
        {
            case "--vault" when Uri.TryCreate(args[i + 1], UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps:
                vault = uri;
                break;
            case "--key":
                key = args[i + 1];
                break;
            case "--version":
                version = args[i + 1];
                break;
            case "--signs" when int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 100:
                signs = n;
                break;
            default:
                return null;
        }
    }

    return args.Length % 2 == 0 && vault is not null && key is not null ? (vault, key, version, signs) : null;
}

static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
