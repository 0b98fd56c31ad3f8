using OrleansSettlement.Protocol;

namespace OrleansSettlement.Sdk;

/// <summary>
/// The API refused a request or failed: the HTTP status and, for a refusal, the RFC 9457 problem's stable
/// <see cref="Code"/> (see docs/protocol.md, section 4), its sentence (<see cref="Detail"/>) and trace id.
/// </summary>
public sealed class SettlementApiException : Exception
{
    public SettlementApiException()
        : this(0, null, "request failed", null, null, null)
    {
    }

    public SettlementApiException(string message)
        : this(0, null, message, null, null, null)
    {
    }

    public SettlementApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Detail = message;
    }

    public SettlementApiException(int status, string? code, string detail, string? title, string? type, string? traceId)
        : base(code is null ? $"HTTP {status}: {detail}" : $"HTTP {status} {code}: {detail}")
    {
        Status = status;
        Code = code;
        Detail = detail;
        Title = title;
        Type = type;
        TraceId = traceId;
    }

    /// <summary>The HTTP status code.</summary>
    public int Status { get; }

    /// <summary>The stable problem code (for example <c>insufficient_funds</c>), or null when the answer was not a refusal
    /// of the API (a 5xx, or something in between that is not the API).</summary>
    public string? Code { get; }

    /// <summary>The code as <see cref="ProtocolErrorCode"/>, when it is one this SDK knows.</summary>
    public ProtocolErrorCode? ErrorCode => Code is not null && WireCodes.TryGetValue(Code, out var code) ? code : null;

    /// <summary>What was wrong, in a sentence.</summary>
    public string Detail { get; } = "";

    public string? Title { get; }

    public string? Type { get; }

    /// <summary>The request's trace id, for support.</summary>
    public string? TraceId { get; }

    /// <summary>True for answers worth retrying with the same Idempotency-Key (5xx, or no answer at all).</summary>
    public bool IsTransient => Status is 0 or >= 500;

    private static readonly Dictionary<string, ProtocolErrorCode> WireCodes =
        Enum.GetValues<ProtocolErrorCode>().ToDictionary(ProtocolError.ToWireCode, code => code, StringComparer.Ordinal);
}
