using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Cli.Crypto;

/// <summary>Loads the keys the commands are given, explaining a private key where a public one belongs and vice versa.</summary>
internal static class KeyFiles
{
    public static async Task<LocalSigner> LoadPrivateAsync(string path, CancellationToken ct)
    {
        var text = await InputFiles.ReadTextAsync(path, ct).ConfigureAwait(false);
        var signer = LocalSigner.FromPrivateJwk(text);
        if (signer.IsOk)
        {
            return signer.Value;
        }

        if (HasMember(text, "d") == false && HasMember(text, "x") == true)
        {
            throw CommandFailedException.Unusable(
                InputFiles.DisplayName(path),
                $"{ProtocolError.ToWireCode(ProtocolErrorCode.InvalidKey)}: this is a public key; sign needs the private key file written by `settle keygen --out`");
        }

        throw CommandFailedException.Unusable(InputFiles.DisplayName(path), signer.Error);
    }

    public static async Task<PublicJwk> LoadPublicAsync(string path, CancellationToken ct)
    {
        var text = await InputFiles.ReadTextAsync(path, ct).ConfigureAwait(false);
        if (HasMember(text, "d") == true)
        {
            // A private key is not silently accepted where a public one belongs: it would
            // encourage copying private keys to wherever signatures are checked.
            throw CommandFailedException.Unusable(
                InputFiles.DisplayName(path),
                $"{ProtocolError.ToWireCode(ProtocolErrorCode.InvalidKey)}: this is a private key (it has \"d\"); verify takes the public JWK, as printed by `settle keygen` or written by its --public-out");
        }

        var key = PublicJwk.Parse(text);
        return key.IsOk ? key.Value : throw CommandFailedException.Unusable(InputFiles.DisplayName(path), key.Error);
    }

    /// <summary>Whether the text is a JSON object with that member; null when it is not a JSON object at all.</summary>
    private static bool? HasMember(string text, string name)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject obj ? obj.ContainsKey(name) : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null; // duplicate member names
        }
    }
}
