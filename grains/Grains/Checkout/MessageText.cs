using System.Text.Json.Nodes;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Canonical;

namespace OrleansSettlement.Grains.Checkout;

/// <summary>Reads the signed JSON texts that cross grain boundaries, strictly (<see cref="SafeJson"/>) and bounded in size.</summary>
internal static class MessageText
{
    /// <summary>
    /// The longest JSON text of one message accepted. The largest legitimate one is an agreement info with 32
    /// participants (about 10 KB); everything else is well under 4 KB.
    /// </summary>
    public const int MaxLength = 32 * 1024;

    /// <summary>Parses <paramref name="text"/> as a JSON object and reads it with <paramref name="read"/>; refusals name <paramref name="path"/>.</summary>
    public static Outcome<T> Read<T>(string? text, string path, Func<JsonNode?, string, Outcome<T>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (text is null)
        {
            return Outcome<T>.Fail(ProtocolErrorCode.MissingField, $"{path} is required.");
        }

        if (text.Length > MaxLength)
        {
            return Outcome<T>.Fail(ProtocolErrorCode.PayloadTooLarge, $"{path} is {text.Length} characters long; at most {MaxLength} are accepted.");
        }

        var parsed = SafeJson.ParseMessage(text, obj => Outcome<Outcome<T>>.Ok(read(obj, path)));
        return parsed.TryGetValue(out var outcome, out var error)
            ? outcome
            : Outcome<T>.Fail(error.Code, $"{path}: {error.Detail}");
    }
}
