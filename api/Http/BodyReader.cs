using System.Text.Json;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Api.Http;

/// <summary>
/// Reads the members of one JSON object of a request body strictly: a required member must be present
/// (<c>missing_field</c>) with the right type and range (<c>invalid_field</c>, <c>invalid_base64_url</c>), and members the
/// route does not define are refused (<c>unknown_field</c>). The first problem is kept and later reads return defaults,
/// so a route reads every member and asks <see cref="Finish"/> once. Signed messages are taken as their exact text.
/// </summary>
public sealed class BodyReader
{
    private readonly JsonElement _object;
    private readonly string _path;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly List<BodyReader> _children = [];

    public BodyReader(JsonElement obj, string path = "")
    {
        _object = obj;
        _path = path;
    }

    public ProtocolError? Error { get; private set; }

    /// <summary>
    /// Parses a request body: strict JSON (<see cref="SafeJson"/>: duplicate members, lone surrogates, trailing content,
    /// non-integer numbers and integers beyond 2^53 - 1 are refused), whose top is an object.
    /// </summary>
    public static Outcome<JsonDocument> Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return Outcome<JsonDocument>.Fail(ProtocolErrorCode.MalformedJson, "the request body is empty: this route takes a JSON object.");
        }

        var strict = SafeJson.ParseObject(body.Span);
        if (!strict.IsOk)
        {
            return Outcome<JsonDocument>.Fail(strict.Error.Code, "the request body: " + strict.Error.Detail);
        }

        return Outcome<JsonDocument>.Ok(JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = SafeJson.MaxDepth + 1 }));
    }

    public string Field(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    public void Fail(ProtocolError error) => Error ??= error;

    public void Fail(ProtocolErrorCode code, string detail) => Fail(new ProtocolError(code, detail));

    public JsonElement? Element(string name, bool required = true)
    {
        _read.Add(name);
        if (Error is not null)
        {
            return null;
        }

        if (!_object.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Fail(ProtocolErrorCode.MissingField, $"{Field(name)} is required.");
            }

            return null;
        }

        return element;
    }

    public string String(string name, int maxLength = 256, bool required = true)
    {
        if (Element(name, required) is not { } element)
        {
            return "";
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be a string.");
            return "";
        }

        var value = element.GetString()!;
        if (value.Length == 0 || value.Length > maxLength)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be 1 to {maxLength} characters long.");
            return "";
        }

        return value;
    }

    /// <summary>A text for people (a display name, an order reference): no control characters.</summary>
    public string Text(string name, int maxLength)
    {
        var value = String(name, maxLength);
        if (Error is null && value.Any(char.IsControl))
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must not contain control characters.");
        }

        return value;
    }

    /// <summary>A name (institution, store, account): 1-64 characters of a-z, 0-9 and '-'.</summary>
    public string Name(string name)
    {
        var value = String(name, Names.MaxLength);
        if (Error is null && !Names.IsValid(value))
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be 1 to {Names.MaxLength} characters of a-z, 0-9 and '-', not starting with '-'.");
        }

        return value;
    }

    /// <summary>A SHA-256 in base64url (43 characters): a hash, a thumbprint, a wallet id.</summary>
    public string Hash(string name)
    {
        var value = String(name, 64);
        if (Error is null && BinaryIds.Check(value, Field(name), BinaryIds.HashBytes, BinaryIds.HashBytes) is { IsOk: false } bad)
        {
            Fail(bad.Error);
        }

        return value;
    }

    public string Currency(string name)
    {
        var value = String(name, 3);
        if (Error is null && Protocol.Model.Currency.Parse(value) is { IsOk: false } bad)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)}: {bad.Error.Detail}");
        }

        return value;
    }

    public long Integer(string name, long min, long max)
    {
        if (Element(name) is not { } element)
        {
            return 0;
        }

        return ReadInteger(element, Field(name), min, max);
    }

    /// <summary>An array of integers, each in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public IReadOnlyList<long> Integers(string name, int minItems, int maxItems, long min, long max)
    {
        var items = Array(name, minItems, maxItems);
        var values = new List<long>(items.Count);
        for (var i = 0; i < items.Count && Error is null; i++)
        {
            values.Add(ReadInteger(items[i], $"{Field(name)}[{i}]", min, max));
        }

        return values;
    }

    public IReadOnlyList<JsonElement> Array(string name, int minItems, int maxItems)
    {
        if (Element(name) is not { } element)
        {
            return [];
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be a JSON array.");
            return [];
        }

        var count = element.GetArrayLength();
        if (count < minItems || count > maxItems)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must hold {minItems} to {maxItems} items, not {count}.");
            return [];
        }

        return [.. element.EnumerateArray()];
    }

    /// <summary>A nested object read with its own reader; its unknown members are refused by this reader's <see cref="Finish"/>.</summary>
    public BodyReader? Object(string name)
    {
        if (Element(name) is not { } element)
        {
            return null;
        }

        return ObjectAt(element, Field(name));
    }

    /// <summary>A reader for an array item or other element that must be an object.</summary>
    public BodyReader? ObjectAt(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{path} must be a JSON object.");
            return null;
        }

        var child = new BodyReader(element, path);
        _children.Add(child);
        return child;
    }

    /// <summary>
    /// A JSON object taken as its exact text from the request (a signed message or a JWK): its members are checked by
    /// whoever verifies it, never re-serialized here.
    /// </summary>
    public string RawObject(string name)
    {
        if (Element(name) is not { } element)
        {
            return "";
        }

        return RawObjectAt(element, Field(name));
    }

    public string RawObjectAt(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{path} must be a JSON object.");
            return "";
        }

        return element.GetRawText();
    }

    /// <summary>An array of JSON objects, each taken as its exact text.</summary>
    public IReadOnlyList<string> RawObjects(string name, int minItems, int maxItems)
    {
        var items = Array(name, minItems, maxItems);
        var texts = new List<string>(items.Count);
        for (var i = 0; i < items.Count && Error is null; i++)
        {
            texts.Add(RawObjectAt(items[i], $"{Field(name)}[{i}]"));
        }

        return texts;
    }

    /// <summary>The first problem found in this object or a nested one, or <c>unknown_field</c> for a member nobody read.</summary>
    public ProtocolError? Finish()
    {
        if (Error is not null)
        {
            return Error;
        }

        foreach (var child in _children)
        {
            if (child.Finish() is { } childError)
            {
                Fail(childError);
                return Error;
            }
        }

        foreach (var member in _object.EnumerateObject())
        {
            if (!_read.Contains(member.Name))
            {
                Fail(ProtocolErrorCode.UnknownField, $"{Field(member.Name)} is not a member of this request.");
                break;
            }
        }

        return Error;
    }

    /// <summary>Reads a string member of a raw object (for example the <c>wallet</c> of a signed response) without
    /// judging the rest of it; null when absent or not a string.</summary>
    public static string? PeekString(string rawObject, params string[] path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var document = JsonDocument.Parse(rawObject);
        var element = document.RootElement;
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }

    private long ReadInteger(JsonElement element, string path, long min, long max)
    {
        if (Error is not null)
        {
            return 0;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value))
        {
            Fail(ProtocolErrorCode.InvalidField, $"{path} must be an integer.");
            return 0;
        }

        if (value < min || value > max)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{path} must lie between {min} and {max}, not {value}.");
            return 0;
        }

        return value;
    }

    /// <summary>Checks that <paramref name="text"/> is strict base64url (used for values that are not members).</summary>
    public static bool IsBase64Url(string? text) => Base64Url.TryDecode(text, out _);
}
