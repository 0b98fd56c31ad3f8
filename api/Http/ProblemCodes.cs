using OrleansSettlement.Protocol;

namespace OrleansSettlement.Api.Http;

/// <summary>Wire codes back to <see cref="ProtocolErrorCode"/>.</summary>
internal static class ProblemCodes
{
    private static readonly Dictionary<string, ProtocolErrorCode> ByWireCode =
        Enum.GetValues<ProtocolErrorCode>().ToDictionary(ProtocolError.ToWireCode, code => code, StringComparer.Ordinal);

    public static ProtocolErrorCode Parse(string wireCode) =>
        ByWireCode.TryGetValue(wireCode, out var code) ? code : throw new ArgumentException($"'{wireCode}' is not a problem code.", nameof(wireCode));

    public static bool TryParse(string? wireCode, out ProtocolErrorCode code)
    {
        code = default;
        return wireCode is not null && ByWireCode.TryGetValue(wireCode, out code);
    }
}
