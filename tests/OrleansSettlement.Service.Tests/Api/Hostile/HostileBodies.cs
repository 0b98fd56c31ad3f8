using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;

namespace OrleansSettlement.Service.Tests.Api.Hostile;

/// <summary>A request body a route must refuse, and what was done to it.</summary>
public sealed record HostileBody(string Description, byte[] Bytes)
{
    public override string ToString() => Description;
}

/// <summary>
/// Generates request bodies that a route must refuse before it acts. Each starts from the route's request example in the
/// OpenAPI document and breaks it once at a member the route itself reads (the members of signed messages are passed on
/// whole and are not touched): a required member left out, an unknown member added, a member given a value no route
/// accepts there (0, -1, 2^53, 2^63, 1.5, 1e3, strings for numbers, empty, huge, control characters and lone surrogates
/// for strings, anything but an object for an object, empty or over-long arrays), a member repeated, the text cut short or
/// followed by more, invalid UTF-8 bytes, nesting far past the limit, a top that is not an object, or random JSON that
/// uses none of the route's member names.
/// </summary>
public static class HostileBodies
{
    private const string RawMarker = "@@raw@@";

    private enum SlotKind
    {
        Integer,
        Text,
        Opaque,
        Reader,
        IntegerArray,
        OpaqueArray,
        ReaderArray,
    }

    /// <summary>A member the route reads: its path from the top (names and array indexes) and its kind.</summary>
    private sealed record Slot(IReadOnlyList<object> Path, SlotKind Kind, bool Required);

    private static readonly Gen<string> BadInteger = Gen.OneOf(
        Gen.OneOfConst("0", "-1", "-0", "9007199254740992", "9007199254740993", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
            "18446744073709551616", "1.5", "1e3", "1E+2", "1.0", "0.0", "-1e400", "1e400", "\"1\"", "\"\"", "true", "[]", "{}", "[1]", "01", "+1", "NaN", "Infinity", "0x10"),
        Gen.Long[long.MinValue, 0].Select(v => v.ToString(CultureInfo.InvariantCulture)),
        Gen.Long[SafeIntegerPlusOne, long.MaxValue].Select(v => v.ToString(CultureInfo.InvariantCulture)),
        Gen.Double.Where(d => double.IsFinite(d) && d != Math.Floor(d)).Select(d => d.ToString("R", CultureInfo.InvariantCulture)));

    private static readonly Gen<string> BadText = Gen.OneOf(
        Gen.OneOfConst("\"\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\\ud83d\"", "\"a\\u0007b\"", "\"\\t\"", "\"\\n\"", "1", "0", "true", "false", "[]", "{}", "[\"a\"]"),
        Gen.Int[300, 70_000].Select(n => "\"" + new string('a', n) + "\""),
        Gen.Char['\u0001', '\u001f'].Array[1, 8].Select(chars => JsonSerializer.Serialize("a" + new string(chars))));

    private static readonly Gen<string> NotAnObject = Gen.OneOfConst("\"x\"", "\"\"", "1", "0", "-1", "true", "false", "[]", "[{}]", "[[]]", "\"{}\"");

    private static readonly Gen<string> NotAnArray = Gen.OneOfConst("\"x\"", "\"\"", "1", "0", "true", "{}", "{\"0\":1}", "[]");

    /// <summary>Mostly JSON, so that most bodies reach the route's reader; now and then a type the route does not take (415).</summary>
    private static readonly Gen<string> ContentTypes = Gen.Frequency(
        (8, Gen.OneOfConst("application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "")),
        (2, Gen.OneOfConst("text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json", "*/*")));

    private const long SafeIntegerPlusOne = 9007199254740992;

    /// <summary>A hostile body for <paramref name="route"/> and the content type to send it with.</summary>
    public static Gen<(HostileBody Body, string ContentType)> For(ApiRoute route, JsonElement schemas)
    {
        ArgumentNullException.ThrowIfNull(route);
        var template = route.RequestExample as JsonObject ?? new JsonObject();
        var slots = route.RequestSchema is null ? [] : Slots(route.RequestSchema, template, schemas, []);
        var readers = slots.Where(s => s.Kind == SlotKind.Reader).Select(s => s.Path).Prepend([]).ToList();
        var names = NamesOf(route.RequestSchema, schemas);
        var choices = new List<(int, Gen<HostileBody>)>
        {
            (2, TextCorruption(template)),
            (2, Structural(template)),
            (1, Garbage(names)),
            (2, UnknownMember(template, readers, names)),
        };
        if (slots.Count > 0)
        {
            choices.Add((6, WrongValue(template, slots)));
            choices.Add((1, Duplicate(template)));
        }

        if (slots.Any(s => s.Required))
        {
            choices.Add((2, Missing(template, [.. slots.Where(s => s.Required)])));
        }

        return Gen.Select(Gen.Frequency([.. choices]), ContentTypes);
    }

    private static Gen<HostileBody> WrongValue(JsonObject template, IReadOnlyList<Slot> slots) =>
        Gen.Int[0, slots.Count - 1].SelectMany(i =>
        {
            var slot = slots[i];
            var bad = slot.Kind switch
            {
                SlotKind.Integer => BadInteger,
                SlotKind.Text => BadText,
                SlotKind.Opaque or SlotKind.Reader => NotAnObject,
                SlotKind.IntegerArray => Gen.OneOf(NotAnArray, BadInteger.Select(v => $"[{v}]"), TooMany(template, slot)),
                _ => Gen.OneOf(NotAnArray, NotAnObject.Where(v => v != "[]" && v != "[{}]").Select(v => $"[{v}]"), TooMany(template, slot)),
            };
            return bad.Select(raw => Body($"{PathText(slot.Path)} = {Short(raw)}", Replace(template, slot.Path, raw)));
        });

    /// <summary>More items than any array of the API takes (they hold at most 64).</summary>
    private static Gen<string> TooMany(JsonObject template, Slot slot) =>
        Gen.Int[65, 120].Select(n =>
        {
            var item = (At(template, slot.Path) as JsonArray)?.FirstOrDefault()?.ToJsonString() ?? "1";
            return "[" + string.Join(',', Enumerable.Repeat(item, n)) + "]";
        });

    private static Gen<HostileBody> Missing(JsonObject template, IReadOnlyList<Slot> required) =>
        Gen.Int[0, required.Count - 1].Select(i =>
        {
            var copy = template.DeepClone().AsObject();
            var path = required[i].Path;
            (At(copy, Parent(path)) as JsonObject)?.Remove((string)path[^1]);
            return Body($"without {PathText(path)}", copy.ToJsonString());
        });

    private static Gen<HostileBody> UnknownMember(JsonObject template, IReadOnlyList<IReadOnlyList<object>> readers, IReadOnlySet<string> names)
    {
        var caseVariants = names.Select(n => n.ToUpperInvariant()).Concat(names.Select(n => char.ToUpperInvariant(n[0]) + n[1..])).Where(n => !names.Contains(n));
        var name = Gen.OneOf(
            Gen.OneOfConst([.. caseVariants.Append("__proto__").Append("constructor").Append("").Append(" ").Append("$ref")]),
            Gen.String[Gen.Char.AlphaNumeric, 1, 12].Where(n => !names.Contains(n)));
        return Gen.Select(Gen.Int[0, readers.Count - 1], name, Gen.OneOfConst("1", "\"x\"", "null", "{}", "[]"), (i, member, value) =>
        {
            var copy = template.DeepClone().AsObject();
            if (At(copy, readers[i]) is JsonObject target && !target.ContainsKey(member))
            {
                target[member] = RawMarker;
            }
            else
            {
                copy["x-unknown"] = RawMarker;
            }

            return Body($"unknown member '{member}' in {PathText(readers[i])}", copy.ToJsonString().Replace($"\"{RawMarker}\"", value, StringComparison.Ordinal));
        });
    }

    private static Gen<HostileBody> Duplicate(JsonObject template) =>
        Gen.Select(Gen.Int[0, Math.Max(0, template.Count - 1)], Gen.Bool, (i, sameValue) =>
        {
            var members = template.Select(m => $"{JsonSerializer.Serialize(m.Key)}:{m.Value?.ToJsonString() ?? "null"}").ToList();
            var name = template.ElementAt(i).Key;
            members.Add($"{JsonSerializer.Serialize(name)}:{(sameValue ? template[name]?.ToJsonString() ?? "null" : "1")}");
            return Body($"'{name}' twice", "{" + string.Join(',', members) + "}");
        });

    private static Gen<HostileBody> TextCorruption(JsonObject template)
    {
        var text = Encoding.UTF8.GetBytes(template.ToJsonString());
        var truncated = Gen.Int[0, text.Length - 1].Select(n => new HostileBody($"cut after {n} bytes", text[..n]));
        var trailing = Gen.OneOfConst("x", "}", ",", "{}", " {}", "\u0000", "//c", "/*c*/", "]", "null")
            .Select(tail => new HostileBody($"followed by '{tail}'", [.. text, .. Encoding.UTF8.GetBytes(tail)]));
        var invalidUtf8 = Gen.Select(Gen.Int[0, text.Length], Gen.OneOfConst<byte[]>([0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE]), (at, bytes) => new HostileBody($"invalid UTF-8 {Convert.ToHexString(bytes)} at byte {at}", [.. text[..at], .. bytes, .. text[at..]]));
        return Gen.OneOf(truncated, trailing, invalidUtf8);
    }

    private static Gen<HostileBody> Structural(JsonObject template)
    {
        var text = template.ToJsonString();
        var tops = Gen.OneOfConst("", " ", "\u0000", "null", "true", "1", "\"x\"", "[]", "[" + text + "]", JsonSerializer.Serialize(text), "{", "}", "{]", "{\"a\"}", "{\"a\":}", "{'a':1}", "{a:1}")
            .Select(body => Body($"top '{Short(body)}'", body));
        var deep = Gen.Select(Gen.Int[33, 20_000], Gen.Bool, (depth, arrays) => Body(
            $"nested {depth} deep",
            arrays ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)));
        var deepMember = Gen.Select(Gen.Int[0, Math.Max(0, template.Count - 1)], Gen.Int[33, 5_000], (i, depth) =>
        {
            var copy = template.DeepClone().AsObject();
            var name = copy.Count == 0 ? "a" : copy.ElementAt(i).Key;
            copy[name] = RawMarker;
            return Body($"'{name}' nested {depth} deep", copy.ToJsonString().Replace($"\"{RawMarker}\"", new string('[', depth) + new string(']', depth), StringComparison.Ordinal));
        });
        return Gen.OneOf(tops, deep, deepMember);
    }

    /// <summary>Random JSON objects that use none of the route's member names.</summary>
    private static Gen<HostileBody> Garbage(IReadOnlySet<string> names)
    {
        var scalar = Gen.OneOf(
            Gen.Long.Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.String.Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.Bool.Select(v => (JsonNode?)JsonValue.Create(v)),
            Gen.Const((JsonNode?)null));
        var key = Gen.String[Gen.Char.AlphaNumeric, 0, 10].Where(k => !names.Contains(k));
        var value = Gen.Recursive<JsonNode?>((depth, self) => depth >= 3
            ? scalar
            : Gen.Frequency(
                (4, scalar),
                (1, self.Array[0, 4].Select(items => (JsonNode?)new JsonArray([.. items]))),
                (1, Gen.Select(key, self).Array[0, 4].Select(members => (JsonNode?)ObjectOf(members)))));
        return Gen.Select(key, value).Array[0, 6].Select(members =>
        {
            var text = ObjectOf(members).ToJsonString();
            return Body($"random object {Short(text)}", text);
        });
    }

    private static JsonObject ObjectOf(IEnumerable<(string Key, JsonNode? Value)> members)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in members)
        {
            obj.TryAdd(key, value);
        }

        return obj;
    }

    private static List<Slot> Slots(JsonObject schema, JsonNode? example, JsonElement schemas, IReadOnlyList<object> path)
    {
        var slots = new List<Slot>();
        var required = schema["required"]?.AsArray().Select(n => n!.GetValue<string>()).ToHashSet() ?? [];
        foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
        {
            var member = (IReadOnlyList<object>)[.. path, name];
            var kind = KindOf(property!.AsObject(), schemas, out var nested, out var itemSchema);
            slots.Add(new Slot(member, kind, required.Contains(name)));
            if (kind == SlotKind.Reader && nested is not null)
            {
                slots.AddRange(Slots(nested, (example as JsonObject)?[name], schemas, member));
            }
            else if (kind == SlotKind.ReaderArray && itemSchema is not null && ((example as JsonObject)?[name] as JsonArray)?.Count > 0)
            {
                slots.AddRange(Slots(itemSchema, ((JsonArray)example![name]!)[0], schemas, [.. member, 0]));
            }
        }

        return slots;
    }

    private static SlotKind KindOf(JsonObject property, JsonElement schemas, out JsonObject? nested, out JsonObject? items)
    {
        nested = null;
        items = null;
        if (property["$ref"] is not null)
        {
            var resolved = ApiRoutes.Resolve(property, schemas);
            if (resolved["properties"] is null)
            {
                return SlotKind.Opaque;
            }

            nested = resolved;
            return SlotKind.Reader;
        }

        var type = TypeOf(property);
        if (type == "integer" || type == "number")
        {
            return SlotKind.Integer;
        }

        if (type == "array")
        {
            var item = property["items"]?.AsObject();
            if (item is null)
            {
                return SlotKind.OpaqueArray;
            }

            var itemKind = KindOf(item, schemas, out var itemNested, out _);
            items = itemNested;
            return itemKind switch
            {
                SlotKind.Integer => SlotKind.IntegerArray,
                SlotKind.Reader => SlotKind.ReaderArray,
                _ => SlotKind.OpaqueArray,
            };
        }

        return type == "object" ? SlotKind.Opaque : SlotKind.Text;
    }

    private static string? TypeOf(JsonObject schema) => schema["type"] switch
    {
        JsonValue value => value.GetValue<string>(),
        JsonArray types => types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null"),
        _ => null,
    };

    private static HashSet<string> NamesOf(JsonObject? schema, JsonElement schemas)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Walk(JsonObject? s, int depth)
        {
            if (s is null || depth > 6)
            {
                return;
            }

            foreach (var (name, property) in s["properties"]?.AsObject() ?? [])
            {
                names.Add(name);
                var p = property!.AsObject();
                Walk(p["$ref"] is null ? null : ApiRoutes.Resolve(p, schemas), depth + 1);
                Walk(p["items"] is JsonObject item && item["$ref"] is not null ? ApiRoutes.Resolve(item, schemas) : null, depth + 1);
            }
        }

        Walk(schema, 0);
        return names;
    }

    private static JsonNode? At(JsonNode? node, IReadOnlyList<object> path)
    {
        foreach (var step in path)
        {
            node = step switch
            {
                string name => (node as JsonObject)?[name],
                int index => node is JsonArray array && index < array.Count ? array[index] : null,
                _ => null,
            };
        }

        return node;
    }

    private static string Replace(JsonObject template, IReadOnlyList<object> path, string raw)
    {
        var copy = template.DeepClone().AsObject();
        var parent = At(copy, Parent(path));
        switch (parent, path[^1])
        {
            case (JsonObject obj, string name):
                obj[name] = RawMarker;
                break;
            case (JsonArray array, int index) when index < array.Count:
                array[index] = RawMarker;
                break;
            default:
                copy[path[0] as string ?? "x"] = RawMarker;
                break;
        }

        return copy.ToJsonString().Replace($"\"{RawMarker}\"", raw, StringComparison.Ordinal);
    }

    private static List<object> Parent(IReadOnlyList<object> path) => [.. path.Take(path.Count - 1)];

    private static HostileBody Body(string description, string text) => new(description, Encoding.UTF8.GetBytes(text));

    private static string PathText(IReadOnlyList<object> path) =>
        path.Count == 0 ? "$" : "$" + string.Concat(path.Select(step => step is int i ? $"[{i}]" : "." + step));

    private static string Short(string text) => text.Length <= 40 ? text : text[..40] + $"...({text.Length} chars)";
}
