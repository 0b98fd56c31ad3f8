using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Protocol.Canonical;

/// <summary>Reads strings and number lexemes out of any <see cref="JsonValue"/>, whatever it wraps.</summary>
internal static class JsonValues
{
    /// <summary>The JSON text of a number value: the source lexeme for parsed values, the serializer's text for built ones.</summary>
    public static string? NumberLexeme(JsonValue value, out ProtocolError? failure)
    {
        try
        {
            failure = null;
            return value.ToJsonString();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or JsonException or NotSupportedException)
        {
            failure = new ProtocolError(ProtocolErrorCode.MalformedJson, $"a number has no finite JSON form: {ex.Message}");
            return null;
        }
    }

    public static string? ReadString(JsonValue value, out ProtocolError? failure)
    {
        failure = null;
        if (value.TryGetValue<string>(out var s))
        {
            return s;
        }

        if (value.TryGetValue<char>(out var c))
        {
            return c.ToString();
        }

        // Guid, DateTimeOffset, enums...: read back the JSON string the serializer writes for it.
        try
        {
            var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(value.ToJsonString()));
            if (reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or JsonException or NotSupportedException)
        {
            failure = new ProtocolError(ProtocolErrorCode.MalformedJson, $"a string value cannot be read: {ex.Message}");
            return null;
        }

        failure = new ProtocolError(ProtocolErrorCode.MalformedJson, "a string value cannot be read");
        return null;
    }
}
