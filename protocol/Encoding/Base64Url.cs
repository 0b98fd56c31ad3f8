using System.Diagnostics.CodeAnalysis;

namespace OrleansSettlement.Protocol.Encoding;

/// <summary>
/// base64url (RFC 4648 §5) without padding. Decoding is strict: only the characters
/// <c>A-Z a-z 0-9 - _</c>, no padding, no whitespace, no length that leaves a lone character
/// (length % 4 == 1), and the unused trailing bits of the last character must be zero, so every
/// byte string has exactly one accepted text.
/// </summary>
public static class Base64Url
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private static readonly sbyte[] DecodeMap = BuildDecodeMap();

    public static string Encode(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static bool TryDecode(string? text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text is null || text.Length % 4 == 1)
        {
            return false;
        }

        var fullGroups = text.Length / 4;
        var rest = text.Length % 4; // 0, 2 or 3 characters: 0, 1 or 2 bytes
        var length = checked((fullGroups * 3) + (rest == 0 ? 0 : rest - 1));
        var result = new byte[length];
        var o = 0;
        var i = 0;
        for (var g = 0; g < fullGroups; g++, i += 4)
        {
            if (!TryValue(text[i], out var a) || !TryValue(text[i + 1], out var b) ||
                !TryValue(text[i + 2], out var c) || !TryValue(text[i + 3], out var d))
            {
                return false;
            }

            var v = (a << 18) | (b << 12) | (c << 6) | d;
            result[o++] = (byte)(v >> 16);
            result[o++] = (byte)((v >> 8) & 0xFF);
            result[o++] = (byte)(v & 0xFF);
        }

        if (rest == 2)
        {
            if (!TryValue(text[i], out var a) || !TryValue(text[i + 1], out var b) || (b & 0x0F) != 0)
            {
                return false;
            }

            result[o] = (byte)((a << 2) | (b >> 4));
        }
        else if (rest == 3)
        {
            if (!TryValue(text[i], out var a) || !TryValue(text[i + 1], out var b) ||
                !TryValue(text[i + 2], out var c) || (c & 0x03) != 0)
            {
                return false;
            }

            var v = (a << 12) | (b << 6) | c;
            result[o++] = (byte)(v >> 10);
            result[o] = (byte)((v >> 2) & 0xFF);
        }

        bytes = result;
        return true;
    }

    public static Outcome<byte[]> Decode(string? text, string fieldName)
    {
        if (TryDecode(text, out var bytes))
        {
            return Outcome<byte[]>.Ok(bytes);
        }

        return Outcome<byte[]>.Fail(
            ProtocolErrorCode.InvalidBase64Url,
            $"{fieldName} is not strict base64url (alphabet A-Z a-z 0-9 - _, no padding, no whitespace, zero spare bits)");
    }

    /// <summary>Decodes and also requires an exact decoded length (keys, signatures, digests).</summary>
    public static Outcome<byte[]> Decode(string? text, string fieldName, int exactLength)
    {
        var decoded = Decode(text, fieldName);
        if (decoded.IsOk && decoded.Value.Length != exactLength)
        {
            return Outcome<byte[]>.Fail(
                ProtocolErrorCode.InvalidBase64Url,
                $"{fieldName} must decode to exactly {exactLength} bytes, not {decoded.Value.Length}");
        }

        return decoded;
    }

    private static bool TryValue(char c, out int value)
    {
        if (c < 128)
        {
            value = DecodeMap[c];
            return value >= 0;
        }

        value = -1;
        return false;
    }

    private static sbyte[] BuildDecodeMap()
    {
        var map = new sbyte[128];
        Array.Fill(map, (sbyte)-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            map[Alphabet[i]] = (sbyte)i;
        }

        return map;
    }
}
