using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Protocol.Canonical;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme. Members are sorted by their names' UTF-16 code units,
/// no whitespace is written, numbers are written as ECMAScript does (after reading them as IEEE
/// doubles), and strings escape only <c>"</c>, <c>\</c> and control characters below U+0020
/// (<c>\b \t \n \f \r</c> short forms, others <c>\u00xx</c> in lowercase hex); everything else is
/// literal UTF-8.
/// </summary>
public static class Jcs
{
    /// <summary>Deepest nesting of arrays and objects the canonicalizer accepts.</summary>
    public const int MaxDepth = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Canonical form of a UTF-8 JSON text. Invalid JSON, duplicate member names at any depth,
    /// lone surrogates, trailing content and numbers outside the IEEE double range are refused.
    /// </summary>
    public static Outcome<byte[]> Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        var parsed = StrictJson.Parse(utf8Json, MaxDepth, requireObject: false);
        if (!parsed.TryGetValue(out var node, out var error))
        {
            return Outcome<byte[]>.Fail(error);
        }

        var text = new StringBuilder(utf8Json.Length);
        var failure = Write(text, node, 0, skipMember: null);
        return failure is null ? Outcome<byte[]>.Ok(StrictUtf8.GetBytes(text.ToString())) : Outcome<byte[]>.Fail(failure);
    }

    /// <summary>
    /// Canonical form of a JSON text given as a string (without this overload a string would turn into a
    /// JSON string value through <see cref="JsonNode"/>'s implicit conversion). Same rules as the UTF-8 overload.
    /// </summary>
    public static Outcome<byte[]> Canonicalize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (StrictJson.IndexOfLoneSurrogate(json) >= 0)
        {
            return Outcome<byte[]>.Fail(ProtocolErrorCode.MalformedJson, "the JSON text holds a lone surrogate");
        }

        return Canonicalize(StrictUtf8.GetBytes(json).AsSpan());
    }

    /// <summary>Canonical form of a tree; throws <see cref="ProtocolException"/> on non-finite numbers, lone surrogates or duplicate names.</summary>
    public static byte[] Canonicalize(JsonNode? node) => StrictUtf8.GetBytes(CanonicalizeToString(node));

    public static string CanonicalizeToString(JsonNode? node)
    {
        var text = new StringBuilder();
        var failure = Write(text, node, 0, skipMember: null);
        return failure is null ? text.ToString() : throw new ProtocolException(failure);
    }

    /// <summary>The ECMAScript / RFC 8785 text of a finite double, e.g. <c>1e+30</c>, <c>0.002</c>, <c>333333333.3333333</c>.</summary>
    public static string SerializeNumber(double value) => EsNumber.Format(value);

    /// <summary>Canonical form of an object without one of its top-level members (the signing input without <c>sig</c>).</summary>
    internal static Outcome<byte[]> CanonicalizeWithout(JsonObject obj, string skipMember)
    {
        var text = new StringBuilder();
        var failure = Write(text, obj, 0, skipMember);
        return failure is null ? Outcome<byte[]>.Ok(StrictUtf8.GetBytes(text.ToString())) : Outcome<byte[]>.Fail(failure);
    }

    private static ProtocolError? Write(StringBuilder text, JsonNode? node, int depth, string? skipMember)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                return null;
            case JsonObject obj:
                {
                    if (depth >= MaxDepth)
                    {
                        return TooDeep();
                    }

                    List<KeyValuePair<string, JsonNode?>> members;
                    try
                    {
                        members = [.. obj];
                    }
                    catch (ArgumentException ex)
                    {
                        return new ProtocolError(ProtocolErrorCode.DuplicateMember, $"an object has duplicate member names: {ex.Message}");
                    }

                    members.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                    text.Append('{');
                    var written = 0;
                    for (var i = 0; i < members.Count; i++)
                    {
                        var (name, value) = (members[i].Key, members[i].Value);
                        if (i > 0 && string.Equals(name, members[i - 1].Key, StringComparison.Ordinal))
                        {
                            return new ProtocolError(ProtocolErrorCode.DuplicateMember, $"member \"{StrictJson.Truncate(name)}\" appears twice in one object");
                        }

                        if (skipMember is not null && string.Equals(name, skipMember, StringComparison.Ordinal))
                        {
                            continue;
                        }

                        if (written++ > 0)
                        {
                            text.Append(',');
                        }

                        var failure = WriteString(text, name);
                        if (failure is not null)
                        {
                            return failure;
                        }

                        text.Append(':');
                        failure = Write(text, value, depth + 1, null);
                        if (failure is not null)
                        {
                            return failure;
                        }
                    }

                    text.Append('}');
                    return null;
                }

            case JsonArray array:
                {
                    if (depth >= MaxDepth)
                    {
                        return TooDeep();
                    }

                    text.Append('[');
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (i > 0)
                        {
                            text.Append(',');
                        }

                        var failure = Write(text, array[i], depth + 1, null);
                        if (failure is not null)
                        {
                            return failure;
                        }
                    }

                    text.Append(']');
                    return null;
                }

            case JsonValue value:
                return WriteValue(text, value, depth);
            default:
                throw new InvalidOperationException($"unexpected JSON node type {node.GetType()}");
        }
    }

    private static ProtocolError? WriteValue(StringBuilder text, JsonValue value, int depth)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.Null:
                text.Append("null");
                return null;
            case JsonValueKind.True:
                text.Append("true");
                return null;
            case JsonValueKind.False:
                text.Append("false");
                return null;
            case JsonValueKind.String:
                {
                    var s = JsonValues.ReadString(value, out var failure);
                    return s is null ? failure : WriteString(text, s);
                }

            case JsonValueKind.Number:
                {
                    var lexeme = JsonValues.NumberLexeme(value, out var failure);
                    if (lexeme is null)
                    {
                        return failure;
                    }

                    if (!double.TryParse(lexeme, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
                    {
                        return new ProtocolError(ProtocolErrorCode.MalformedJson, $"number {StrictJson.Truncate(lexeme)} is outside the IEEE 754 double range");
                    }

                    text.Append(EsNumber.Format(d));
                    return null;
                }

            default:
                {
                    // A JsonValue wrapping an object or array (JsonValue.Create(someObject)): canonicalize its JSON text.
                    var parsed = StrictJson.Parse(StrictUtf8.GetBytes(value.ToJsonString()), MaxDepth - depth, requireObject: false);
                    return parsed.TryGetValue(out var node, out var error) ? Write(text, node, depth, null) : error;
                }
        }
    }

    private static ProtocolError? WriteString(StringBuilder text, string s)
    {
        var bad = StrictJson.IndexOfLoneSurrogate(s);
        if (bad >= 0)
        {
            return new ProtocolError(ProtocolErrorCode.MalformedJson, $"a string holds a lone surrogate at index {bad}");
        }

        text.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\b':
                    text.Append("\\b");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\f':
                    text.Append("\\f");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                default:
                    if (c < 0x20)
                    {
                        text.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
        return null;
    }

    private static ProtocolError TooDeep() => new(ProtocolErrorCode.MalformedJson, $"JSON nested deeper than {MaxDepth} levels");
}
