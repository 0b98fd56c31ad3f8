using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Protocol.Model;

/// <summary>
/// The rules for the names of things that people choose (institutions, stores, accounts):
/// 1 to 64 characters of lower-case ASCII letters, digits and '-', starting with a letter or digit.
/// </summary>
public static class Names
{
    public const int MaxLength = 64;

    public static bool IsValid(string? text)
    {
        if (text is null || text.Length is 0 or > MaxLength || text[0] == '-')
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }

    internal static Outcome<string> Check(string? text, string what) => IsValid(text)
        ? Outcome<string>.Ok(text!)
        : Outcome<string>.Fail(ProtocolErrorCode.InvalidField, $"{what} '{Currency.Truncate(text)}' must be 1 to {MaxLength} characters of a-z, 0-9 and '-', not starting with '-'.");
}

/// <summary>
/// Rules for identifiers that are random or hashed bytes written in base64url: a note serial (16 bytes),
/// an agreement id or key thumbprint (32-byte SHA-256), a challenge nonce (16 to 32 bytes).
/// </summary>
public static class BinaryIds
{
    /// <summary>Bytes in a note serial: 128 random bits.</summary>
    public const int SerialBytes = 16;

    /// <summary>Bytes in a SHA-256 id (agreement id, key thumbprint, items hash, challenge id).</summary>
    public const int HashBytes = 32;

    public const int MinNonceBytes = 16;
    public const int MaxNonceBytes = 32;

    public static Outcome<string> Check(string? text, string field, int minBytes, int maxBytes)
    {
        if (!Base64Url.TryDecode(text, out var bytes))
        {
            return Outcome<string>.Fail(ProtocolErrorCode.InvalidBase64Url, $"{field} is not strict base64url (A-Z a-z 0-9 - _, no padding).");
        }

        if (bytes.Length < minBytes || bytes.Length > maxBytes)
        {
            var expected = minBytes == maxBytes ? $"{minBytes}" : $"{minBytes} to {maxBytes}";
            return Outcome<string>.Fail(ProtocolErrorCode.InvalidField, $"{field} must encode {expected} bytes, not {bytes.Length}.");
        }

        return Outcome<string>.Ok(text!);
    }

    /// <summary>A fresh random value of the given length, base64url encoded.</summary>
    public static string NewRandom(int bytes = SerialBytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        System.Security.Cryptography.RandomNumberGenerator.Fill(buffer);
        return Base64Url.Encode(buffer);
    }
}
