using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Protocol.Canonical;

/// <summary>
/// The strict reader behind <see cref="Jcs"/> and <see cref="SafeJson"/>: one RFC 8259 JSON text
/// (no comments, no trailing commas, nothing after the value), no duplicate member names at any
/// depth, and every string (member names included) valid UTF-16 once unescaped (no lone surrogates).
/// Only when all of that holds is the text turned into a <see cref="JsonNode"/> tree.
/// </summary>
internal static class StrictJson
{
    public static Outcome<JsonNode?> Parse(ReadOnlySpan<byte> utf8Json, int maxDepth, bool requireObject) =>
        Parse(utf8Json, maxDepth, requireObject, out _);

    /// <summary><see cref="Parse(ReadOnlySpan{byte}, int, bool)"/>; <paramref name="safeIntegersOnly"/> tells whether every
    /// number of the text is a plain integer within ±2^53 - 1 (<see cref="SafeJson.CheckNumberLexeme"/>), so that a parsed
    /// tree needs no second walk for the <see cref="SafeJson"/> rules: the strings, member names, duplicates and depth are
    /// checked here already.</summary>
    public static Outcome<JsonNode?> Parse(ReadOnlySpan<byte> utf8Json, int maxDepth, bool requireObject, out bool safeIntegersOnly)
    {
        var error = Validate(utf8Json, maxDepth, requireObject, out safeIntegersOnly);
        if (error is not null)
        {
            return Outcome<JsonNode?>.Fail(error);
        }

        try
        {
            var node = JsonNode.Parse(utf8Json, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth });
            return Outcome<JsonNode?>.Ok(node);
        }
        catch (JsonException ex)
        {
            // Validate accepted what the parser refuses: report it rather than guess.
            return Outcome<JsonNode?>.Fail(ProtocolErrorCode.MalformedJson, $"not a valid JSON text: {ex.Message}");
        }
    }

    public static ProtocolError? Validate(ReadOnlySpan<byte> utf8Json, int maxDepth, bool requireObject) =>
        Validate(utf8Json, maxDepth, requireObject, out _);

    private static ProtocolError? Validate(ReadOnlySpan<byte> utf8Json, int maxDepth, bool requireObject, out bool safeIntegersOnly)
    {
        safeIntegersOnly = true;
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions
        {
            MaxDepth = maxDepth,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            AllowMultipleValues = false,
        });
        var members = new Stack<HashSet<string>>();
        var first = true;
        try
        {
            while (reader.Read())
            {
                if (first)
                {
                    first = false;
                    if (requireObject && reader.TokenType != JsonTokenType.StartObject)
                    {
                        return new ProtocolError(ProtocolErrorCode.MalformedJson, $"the JSON text must be an object, not {Describe(reader.TokenType)}");
                    }
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        members.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.EndObject:
                        members.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        {
                            var name = ReadString(ref reader, out var stringError);
                            if (name is null)
                            {
                                return stringError;
                            }

                            if (!members.Peek().Add(name))
                            {
                                return new ProtocolError(
                                    ProtocolErrorCode.DuplicateMember,
                                    $"member \"{Truncate(name)}\" appears twice in one object (byte {reader.TokenStartIndex})");
                            }

                            break;
                        }

                    case JsonTokenType.String:
                        if (ReadString(ref reader, out var valueError) is null)
                        {
                            return valueError;
                        }

                        break;
                    case JsonTokenType.Number:
                        safeIntegersOnly = safeIntegersOnly && IsSafeInteger(reader.ValueSpan);
                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            var message = reader.CurrentDepth >= maxDepth - 1 && ex.Message.Contains("depth", StringComparison.OrdinalIgnoreCase)
                ? $"JSON nested deeper than {maxDepth} levels"
                : $"not a valid JSON text: {ex.Message}";
            return new ProtocolError(ProtocolErrorCode.MalformedJson, message);
        }

        if (first)
        {
            return new ProtocolError(ProtocolErrorCode.MalformedJson, "not a valid JSON text: it is empty");
        }

        return null;
    }

    /// <summary>The index of the first lone surrogate in <paramref name="text"/>, or -1 when it is valid UTF-16.</summary>
    public static int IndexOfLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                    continue;
                }

                return i;
            }

            if (char.IsLowSurrogate(c))
            {
                return i;
            }
        }

        return -1;
    }

    public static string Truncate(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "...");

    private static string? ReadString(ref Utf8JsonReader reader, out ProtocolError? error)
    {
        string text;
        try
        {
            text = reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json refuses invalid UTF-8 and escaped lone surrogates here.
            error = new ProtocolError(ProtocolErrorCode.MalformedJson, $"a string is not valid Unicode (byte {reader.TokenStartIndex}): {ex.Message}");
            return null;
        }

        if (IndexOfLoneSurrogate(text) >= 0)
        {
            error = new ProtocolError(ProtocolErrorCode.MalformedJson, $"a string holds a lone surrogate (byte {reader.TokenStartIndex})");
            return null;
        }

        error = null;
        return text;
    }

    /// <summary>True when a number token (valid JSON number syntax, so no leading zeros) is <c>-?[0-9]+</c> within ±2^53 - 1.</summary>
    private static bool IsSafeInteger(ReadOnlySpan<byte> lexeme)
    {
        var digits = lexeme.Length > 0 && lexeme[0] == (byte)'-' ? lexeme[1..] : lexeme;
        if (digits.IsEmpty || digits.Length > 16)
        {
            return false;
        }

        long magnitude = 0;
        foreach (var b in digits)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            magnitude = (magnitude * 10) + (b - '0');
        }

        return magnitude <= SafeJson.MaxSafeInteger;
    }

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString(),
    };
}
