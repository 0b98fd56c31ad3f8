using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Protocol.Messages;

/// <summary>
/// Reads the members of one JSON object strictly: each required member must be present with the right
/// type and range, and members the message does not define are refused. The first problem found is
/// kept (with the member's path) and every later read returns a default, so a parser reads all fields
/// and then asks <see cref="Finish"/> once.
/// </summary>
internal sealed class ObjectReader
{
    private readonly JsonObject _object;
    private readonly string _path;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public ObjectReader(JsonObject obj, string path)
    {
        _object = obj;
        _path = path;
    }

    public ProtocolError? Error { get; private set; }

    public static Outcome<JsonObject> AsObject(JsonNode? node, string path) => node is JsonObject obj
        ? Outcome<JsonObject>.Ok(obj)
        : Outcome<JsonObject>.Fail(ProtocolErrorCode.InvalidField, $"{path} must be a JSON object.");

    public string Field(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    public void Fail(ProtocolError error) => Error ??= error;

    public void Fail(ProtocolErrorCode code, string detail) => Fail(new ProtocolError(code, detail));

    /// <summary>Marks a member as known without reading it (for example <c>sig</c>, checked elsewhere).</summary>
    public void Skip(string name) => _read.Add(name);

    public JsonNode? Node(string name, bool required = true)
    {
        _read.Add(name);
        if (Error is not null)
        {
            return null;
        }

        if (!_object.TryGetPropertyValue(name, out var node) || node is null)
        {
            if (required)
            {
                Fail(ProtocolErrorCode.MissingField, $"{Field(name)} is required.");
            }

            return null;
        }

        return node;
    }

    public string String(string name, int maxLength = 256, bool required = true)
    {
        var node = Node(name, required);
        if (node is null)
        {
            return "";
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be a string.");
            return "";
        }

        var value = node.GetValue<string>();
        if (value.Length == 0 || value.Length > maxLength)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be 1 to {maxLength} characters long.");
            return "";
        }

        return value;
    }

    public string Constant(string name, string expected)
    {
        var value = String(name);
        if (Error is null && !string.Equals(value, expected, StringComparison.Ordinal))
        {
            Fail(name == "purpose" ? ProtocolErrorCode.WrongPurpose : ProtocolErrorCode.InvalidField, $"{Field(name)} must be '{expected}', not '{Model.Currency.Truncate(value)}'.");
        }

        return value;
    }

    public long Integer(string name, long min, long max)
    {
        var node = Node(name);
        if (node is null)
        {
            return 0;
        }

        // The JSON text of the number, so that values built in code (an int) and parsed ones read alike.
        if (node.GetValueKind() != JsonValueKind.Number || !long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be an integer.");
            return 0;
        }

        if (value < min || value > max)
        {
            Fail(value > SafeJson.MaxSafeInteger || value < -SafeJson.MaxSafeInteger ? ProtocolErrorCode.IntegerOutOfRange : ProtocolErrorCode.InvalidField, $"{Field(name)} must lie between {min} and {max}, not {value}.");
            return 0;
        }

        return value;
    }

    public void Version(long supported)
    {
        var version = Integer("version", 1, 1_000);
        if (Error is null && version != supported)
        {
            Fail(ProtocolErrorCode.UnsupportedVersion, $"{Field("version")} {version} is not supported; this implementation reads version {supported}.");
        }
    }

    public string Name(string name)
    {
        var value = String(name, Names.MaxLength);
        if (Error is null && Names.Check(value, Field(name)) is { IsOk: false } outcome)
        {
            Fail(outcome.Error);
        }

        return value;
    }

    public string Binary(string name, int minBytes, int maxBytes)
    {
        var value = String(name, 64);
        if (Error is null && BinaryIds.Check(value, Field(name), minBytes, maxBytes) is { IsOk: false } outcome)
        {
            Fail(outcome.Error);
        }

        return value;
    }

    public string Hash(string name) => Binary(name, BinaryIds.HashBytes, BinaryIds.HashBytes);

    public DateTimeOffset Timestamp(string name)
    {
        var text = String(name, 64);
        if (Error is not null)
        {
            return default;
        }

        var parsed = Timestamps.Parse(text, Field(name));
        if (!parsed.IsOk)
        {
            Fail(parsed.Error);
            return default;
        }

        return parsed.Value;
    }

    public Currency Currency(string name)
    {
        var text = String(name, 3);
        if (Error is not null)
        {
            return default;
        }

        var parsed = Model.Currency.Parse(text);
        if (!parsed.IsOk)
        {
            Fail(parsed.Error);
            return default;
        }

        return parsed.Value;
    }

    public Money Amount(Currency currency, string name)
    {
        var amount = Integer(name, 1, Money.MaxAmountMinor);
        return Error is null ? Money.Create(currency, amount).Value : default;
    }

    public PublicJwk? Key(string name)
    {
        var node = Node(name);
        if (node is null)
        {
            return null;
        }

        var parsed = PublicJwk.Parse(node);
        if (!parsed.IsOk)
        {
            Fail(parsed.Error.Code, $"{Field(name)}: {parsed.Error.Detail}");
            return null;
        }

        return parsed.Value;
    }

    public JsonObject? Object(string name)
    {
        var node = Node(name);
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject obj)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be a JSON object.");
            return null;
        }

        return obj;
    }

    public IReadOnlyList<JsonNode?> Array(string name, int minItems, int maxItems)
    {
        var node = Node(name);
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must be a JSON array.");
            return [];
        }

        if (array.Count < minItems || array.Count > maxItems)
        {
            Fail(ProtocolErrorCode.InvalidField, $"{Field(name)} must hold {minItems} to {maxItems} items, not {array.Count}.");
            return [];
        }

        return [.. array];
    }

    /// <summary>A list of distinct base64url ids (note serials), in the order given.</summary>
    public IReadOnlyList<string> Serials(string name, int maxItems)
    {
        var items = Array(name, 1, maxItems);
        var serials = new List<string>(items.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count && Error is null; i++)
        {
            var field = $"{Field(name)}[{i}]";
            if (items[i] is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
            {
                Fail(ProtocolErrorCode.InvalidField, $"{field} must be a string.");
                break;
            }

            var serial = value.GetValue<string>();
            if (BinaryIds.Check(serial, field, BinaryIds.SerialBytes, BinaryIds.SerialBytes) is { IsOk: false } bad)
            {
                Fail(bad.Error);
                break;
            }

            if (!seen.Add(serial))
            {
                Fail(ProtocolErrorCode.DuplicateNote, $"{field} names note {serial} a second time.");
                break;
            }

            serials.Add(serial);
        }

        return serials;
    }

    /// <summary>The first problem found, or an <see cref="ProtocolErrorCode.UnknownField"/> for a member nobody read.</summary>
    public ProtocolError? Finish()
    {
        if (Error is not null)
        {
            return Error;
        }

        foreach (var (name, _) in _object)
        {
            if (!_read.Contains(name))
            {
                Fail(ProtocolErrorCode.UnknownField, $"{Field(name)} is not a member of this message.");
                break;
            }
        }

        return Error;
    }
}
