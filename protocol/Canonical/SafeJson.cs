using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Protocol.Canonical;

/// <summary>
/// The rules for JSON that is signed or hashed, so that every language canonicalizes it to the
/// same bytes:
/// <list type="bullet">
/// <item>every number is written as a plain integer, <c>-?[0-9]+</c> (so <c>1.0</c>, <c>1e2</c> and
/// <c>1.5</c> are refused with <see cref="ProtocolErrorCode.NumberNotInteger"/>), within
/// ±<see cref="MaxSafeInteger"/> (otherwise <see cref="ProtocolErrorCode.IntegerOutOfRange"/>);
/// <c>-0</c> is a plain integer and canonicalizes to <c>0</c>;</item>
/// <item>strings, member names included, are valid UTF-16 (no lone surrogates);</item>
/// <item>no object has two members with the same name;</item>
/// <item>arrays and objects nest at most <see cref="MaxDepth"/> levels.</item>
/// </list>
/// For a tree built in code the "lexeme" of a number is the text System.Text.Json writes for it:
/// a <c>long</c> or <c>int</c> is fine, a <c>double</c> 5.0 is written <c>5</c> (fine), a <c>decimal</c>
/// 5.0m is written <c>5.0</c> (refused).
/// </summary>
public static class SafeJson
{
    /// <summary>2^53 - 1, the largest integer every IEEE double reader keeps exactly.</summary>
    public const long MaxSafeInteger = 9007199254740991;

    /// <summary>Deepest nesting of arrays and objects accepted in signed content.</summary>
    public const int MaxDepth = 32;

    /// <summary>The tree <see cref="ParseMessage"/> is reading on this thread, if any.</summary>
    [ThreadStatic]
    private static JsonObject? t_parsedRoot;

    /// <summary>null when the tree follows the rules above; otherwise the first rule it breaks, with its JSON path.</summary>
    public static ProtocolError? Check(JsonNode? node)
    {
        var failure = CheckNode(node, 0);
        if (failure is null)
        {
            return null;
        }

        failure.Path.Reverse();
        var path = "$" + string.Concat(failure.Path);
        return new ProtocolError(failure.Code, $"{failure.Message} at {path}");
    }

    /// <summary>
    /// Strict parse of a UTF-8 JSON text holding one object: invalid JSON, trailing content,
    /// a top that is not an object and nesting deeper than <see cref="MaxDepth"/> are
    /// <see cref="ProtocolErrorCode.MalformedJson"/>; repeated member names are
    /// <see cref="ProtocolErrorCode.DuplicateMember"/>; then <see cref="Check"/> applies.
    /// </summary>
    public static Outcome<JsonObject> ParseObject(ReadOnlySpan<byte> utf8Json)
    {
        var parsed = StrictJson.Parse(utf8Json, MaxDepth, requireObject: true, out var safeIntegersOnly);
        if (!parsed.TryGetValue(out var node, out var error))
        {
            return Outcome<JsonObject>.Fail(error);
        }

        // The strict parse checked every rule but the numbers'; when those hold too, a second walk over the tree (which
        // decodes every string again) finds nothing. When one does not, the walk names the refused number's path.
        var obj = (JsonObject)node!;
        error = safeIntegersOnly ? null : Check(obj);
        return error is null ? Outcome<JsonObject>.Ok(obj) : Outcome<JsonObject>.Fail(error);
    }

    /// <summary>
    /// <see cref="ParseObject(string)"/>, then <paramref name="read"/> on the object: a parse failure, or what
    /// <paramref name="read"/> returns. The protocol's message readers called by <paramref name="read"/> (on this thread,
    /// before it returns) do not check the rules above again on this tree or its parts: the strict parse checked them, and
    /// a walk over the tree decodes every string again. Nothing else trusts the tree, and <see cref="Check"/> always checks.
    /// </summary>
    public static Outcome<T> ParseMessage<T>(string json, Func<JsonObject, Outcome<T>> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var parsed = ParseObject(json);
        if (!parsed.TryGetValue(out var obj, out var error))
        {
            return Outcome<T>.Fail(error);
        }

        var outer = t_parsedRoot;
        t_parsedRoot = obj;
        try
        {
            return read(obj);
        }
        finally
        {
            t_parsedRoot = outer;
        }
    }

    /// <summary><see cref="Check"/>, except for a tree that <see cref="ParseMessage"/> parsed and is reading now.</summary>
    internal static ProtocolError? CheckUnlessJustParsed(JsonNode node) =>
        t_parsedRoot is { } root && ReferenceEquals(node.Root, root) ? null : Check(node);

    /// <summary><see cref="ParseObject(ReadOnlySpan{byte})"/> for a string (its UTF-16 must be valid).</summary>
    public static Outcome<JsonObject> ParseObject(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (StrictJson.IndexOfLoneSurrogate(json) >= 0)
        {
            return Outcome<JsonObject>.Fail(ProtocolErrorCode.MalformedJson, "the JSON text holds a lone surrogate");
        }

        return ParseObject(System.Text.Encoding.UTF8.GetBytes(json));
    }

    /// <summary>null when <paramref name="lexeme"/> is a plain integer within ±<see cref="MaxSafeInteger"/>.</summary>
    public static ProtocolError? CheckNumberLexeme(string lexeme)
    {
        ArgumentNullException.ThrowIfNull(lexeme);
        var digits = lexeme.StartsWith('-') ? lexeme.AsSpan(1) : lexeme.AsSpan();
        if (digits.IsEmpty || digits.ContainsAnyExceptInRange('0', '9'))
        {
            return new ProtocolError(
                ProtocolErrorCode.NumberNotInteger,
                $"number {StrictJson.Truncate(lexeme)} is not written as a plain integer (no fraction, no exponent)");
        }

        var trimmed = digits.TrimStart('0');
        if (trimmed.Length > 16 ||
            !long.TryParse(trimmed.IsEmpty ? "0" : trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var magnitude) ||
            magnitude > MaxSafeInteger)
        {
            return new ProtocolError(
                ProtocolErrorCode.IntegerOutOfRange,
                $"integer {StrictJson.Truncate(lexeme)} is outside ±{MaxSafeInteger} (2^53 - 1)");
        }

        return null;
    }

    private static Failure? CheckNode(JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                {
                    if (depth >= MaxDepth)
                    {
                        return new Failure(ProtocolErrorCode.MalformedJson, $"JSON nested deeper than {MaxDepth} levels");
                    }

                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    try
                    {
                        foreach (var (name, value) in obj)
                        {
                            if (StrictJson.IndexOfLoneSurrogate(name) >= 0)
                            {
                                return new Failure(ProtocolErrorCode.MalformedJson, "a member name holds a lone surrogate");
                            }

                            if (!seen.Add(name))
                            {
                                return new Failure(ProtocolErrorCode.DuplicateMember, $"member \"{StrictJson.Truncate(name)}\" appears twice in one object");
                            }

                            var failure = CheckNode(value, depth + 1);
                            if (failure is not null)
                            {
                                failure.Path.Add(Segment(name));
                                return failure;
                            }
                        }
                    }
                    catch (ArgumentException ex)
                    {
                        return new Failure(ProtocolErrorCode.DuplicateMember, $"an object has duplicate member names: {ex.Message}");
                    }

                    return null;
                }

            case JsonArray array:
                {
                    if (depth >= MaxDepth)
                    {
                        return new Failure(ProtocolErrorCode.MalformedJson, $"JSON nested deeper than {MaxDepth} levels");
                    }

                    for (var i = 0; i < array.Count; i++)
                    {
                        var failure = CheckNode(array[i], depth + 1);
                        if (failure is not null)
                        {
                            failure.Path.Add(string.Create(CultureInfo.InvariantCulture, $"[{i}]"));
                            return failure;
                        }
                    }

                    return null;
                }

            case JsonValue value:
                return CheckValue(value, depth);
            default:
                throw new InvalidOperationException($"unexpected JSON node type {node.GetType()}");
        }
    }

    private static Failure? CheckValue(JsonValue value, int depth)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.Null or JsonValueKind.True or JsonValueKind.False:
                return null;
            case JsonValueKind.String:
                {
                    var s = JsonValues.ReadString(value, out var error);
                    if (s is null)
                    {
                        return new Failure(error!.Code, error.Detail);
                    }

                    return StrictJson.IndexOfLoneSurrogate(s) >= 0
                        ? new Failure(ProtocolErrorCode.MalformedJson, "a string holds a lone surrogate")
                        : null;
                }

            case JsonValueKind.Number:
                {
                    var lexeme = JsonValues.NumberLexeme(value, out var error);
                    error ??= CheckNumberLexeme(lexeme!);
                    return error is null ? null : new Failure(error.Code, error.Detail);
                }

            default:
                {
                    // A JsonValue wrapping an object or array: check the JSON it stands for.
                    var parsed = StrictJson.Parse(System.Text.Encoding.UTF8.GetBytes(value.ToJsonString()), Math.Max(1, MaxDepth - depth), requireObject: false);
                    return parsed.TryGetValue(out var inner, out var error) ? CheckNode(inner, depth) : new Failure(error.Code, error.Detail);
                }
        }
    }

    private static string Segment(string name)
    {
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return "[" + JsonSerializer.Serialize(name) + "]";
            }
        }

        return "." + name;
    }

    private sealed class Failure(ProtocolErrorCode code, string message)
    {
        public ProtocolErrorCode Code { get; } = code;

        public string Message { get; } = message;

        public List<string> Path { get; } = [];
    }
}
