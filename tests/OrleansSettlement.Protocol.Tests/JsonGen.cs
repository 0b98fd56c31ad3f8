using System.Globalization;
using System.Text.Json.Nodes;
using CsCheck;

namespace OrleansSettlement.Protocol.Tests;

/// <summary>A JSON value as plain data, so one generated value can be built into trees with different member orders.</summary>
internal abstract record JTree
{
    /// <summary>A fresh <see cref="JsonNode"/>; with <paramref name="shuffle"/>, every object's members in a random order.</summary>
    public abstract JsonNode? ToNode(Random? shuffle = null);
}

internal sealed record JNull : JTree
{
    public override JsonNode? ToNode(Random? shuffle = null) => null;
}

internal sealed record JBool(bool Value) : JTree
{
    public override JsonNode? ToNode(Random? shuffle = null) => JsonValue.Create(Value);
}

internal sealed record JInt(long Value) : JTree
{
    public override JsonNode? ToNode(Random? shuffle = null) => JsonValue.Create(Value);
}

internal sealed record JDouble(double Value) : JTree
{
    public override JsonNode? ToNode(Random? shuffle = null) => JsonValue.Create(Value);

    public override string ToString() => Value.ToString("R", CultureInfo.InvariantCulture);
}

internal sealed record JString(string Value) : JTree
{
    public override JsonNode? ToNode(Random? shuffle = null) => JsonValue.Create(Value);
}

internal sealed record JArr(JTree[] Items) : JTree
{
    public override JsonNode? ToNode(Random? shuffle = null) => new JsonArray([.. Items.Select(i => i.ToNode(shuffle))]);

    public override string ToString() => "[" + string.Join(",", Items.Select(i => i.ToString())) + "]";
}

internal sealed record JObj((string Name, JTree Value)[] Members) : JTree
{
    public override JsonNode? ToNode(Random? shuffle = null) => Build(shuffle);

    public JsonObject Build(Random? shuffle = null)
    {
        var members = Members.ToArray();
        shuffle?.Shuffle(members);
        var obj = new JsonObject();
        foreach (var (name, value) in members)
        {
            obj.Add(name, value.ToNode(shuffle));
        }

        return obj;
    }

    public override string ToString() => "{" + string.Join(",", Members.Select(m => $"{m.Name}:{m.Value}")) + "}";
}

internal static class JsonGen
{
    // Characters that stress escaping and ordering: ASCII, controls, quotes, non-BMP (surrogate pairs), U+2028, BOM, U+FFFF.
    private static readonly string[] CharPool =
    [
        "a", "b", "A", "Z", "0", "9", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\0", "\u0001", "\u001f",
        "\u007f", "\u0080", "é", "ö", "€", "\u2028", "\u030a", "\ufb33", "\ufeff", "\uffff", "中", "😂", "\U00010000", "\U0010FFFF",
    ];

    public static readonly Gen<string> Text = Gen.OneOfConst(CharPool).Array[0, 6].Select(parts => string.Concat(parts));

    public static readonly Gen<long> SafeInteger = Gen.Frequency(
        (4, Gen.Long[-1000, 1000]),
        (4, Gen.Long[-Canonical.SafeJson.MaxSafeInteger, Canonical.SafeJson.MaxSafeInteger]),
        (1, Gen.OneOfConst(0L, Canonical.SafeJson.MaxSafeInteger, -Canonical.SafeJson.MaxSafeInteger)));

    public static readonly Gen<double> FiniteDouble = Gen.Frequency(
        (3, Gen.Double.Where(double.IsFinite)),
        (2, Gen.Long.Select(bits => BitConverter.Int64BitsToDouble(bits)).Where(double.IsFinite)),
        (1, Gen.Int[-100000, 100000].Select(i => i / 100.0)));

    /// <summary>Any JSON value; with <paramref name="integersOnly"/>, numbers are safe integers (content that can be signed).</summary>
    public static Gen<JTree> Tree(bool integersOnly) => Gen.Recursive<JTree>((depth, self) =>
    {
        var number = integersOnly
            ? SafeInteger.Select(i => (JTree)new JInt(i))
            : Gen.Frequency((1, SafeInteger.Select(i => (JTree)new JInt(i))), (2, FiniteDouble.Select(d => (JTree)new JDouble(d))));
        var leaf = Gen.Frequency(
            (1, Gen.Const((JTree)new JNull())),
            (1, Gen.Bool.Select(b => (JTree)new JBool(b))),
            (3, number),
            (3, Text.Select(s => (JTree)new JString(s))));
        if (depth >= 4)
        {
            return leaf;
        }

        return Gen.Frequency(
            (4, leaf),
            (1, self.Array[0, 4].Select(items => (JTree)new JArr(items))),
            (2, Object(self).Select(o => (JTree)o)));
    });

    /// <summary>Objects with unique member names and values from <paramref name="values"/>.</summary>
    public static Gen<JObj> Object(Gen<JTree> values) =>
        Text.ArrayUnique[0, 6].SelectMany(names => values.Array[names.Length].Select(items => new JObj([.. names.Zip(items)])));

    /// <summary>An object of signable content: safe integers only, no <c>sig</c> or <c>purpose</c> members at the top.</summary>
    public static Gen<JObj> SignableContent { get; } =
        Object(Tree(integersOnly: true)).Select(o => new JObj([.. o.Members.Where(m => m.Name is not ("sig" or "purpose"))]));
}
