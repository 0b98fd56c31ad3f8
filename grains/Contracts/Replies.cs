using OrleansSettlement.Protocol;

namespace OrleansSettlement.Contracts;

/// <summary>
/// A refusal that crosses a grain boundary: the stable wire code of a <see cref="ProtocolErrorCode"/> and the
/// sentence for a person. Business outcomes travel as values, never as exceptions (exceptions are bugs).
/// </summary>
[GenerateSerializer, Immutable, Alias("osettle.Refusal")]
public sealed record Refusal([property: Id(0)] string Code, [property: Id(1)] string Detail)
{
    private static readonly Dictionary<string, ProtocolErrorCode> ByWireCode =
        Enum.GetValues<ProtocolErrorCode>().ToDictionary(ProtocolError.ToWireCode, c => c, StringComparer.Ordinal);

    public ProtocolErrorCode ErrorCode => ByWireCode.TryGetValue(Code, out var code)
        ? code
        : throw new InvalidOperationException($"'{Code}' is not a problem code.");

    public static Refusal From(ProtocolError error) => new(error?.WireCode ?? throw new ArgumentNullException(nameof(error)), error.Detail);

    public static Refusal Of(ProtocolErrorCode code, string detail) => new(ProtocolError.ToWireCode(code), detail);

    public ProtocolError ToError() => new(ErrorCode, Detail);
}

/// <summary>A grain's answer: a value or the <see cref="Refusal"/> that explains why there is none.</summary>
[GenerateSerializer, Immutable, Alias("osettle.Reply`1")]
public sealed record Reply<T>([property: Id(0)] T? Value, [property: Id(1)] Refusal? Refusal)
{
    public bool IsOk => Refusal is null;

    public static Reply<T> Ok(T value) => new(value, null);

    public static Reply<T> Fail(Refusal refusal) => new(default, refusal);

    public static Reply<T> Fail(ProtocolErrorCode code, string detail) => new(default, Refusal.Of(code, detail));

    public static Reply<T> Fail(ProtocolError error) => new(default, Refusal.From(error));

    public static implicit operator Reply<T>(Refusal refusal) => Fail(refusal);
}
