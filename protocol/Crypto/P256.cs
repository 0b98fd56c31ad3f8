using System.Globalization;
using System.Numerics;

namespace OrleansSettlement.Protocol.Crypto;

/// <summary>NIST P-256 (secp256r1) constants and the checks done before handing values to the platform.</summary>
internal static class P256
{
    public const int FieldSize = 32;

    public static readonly BigInteger Prime = Hex("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF");

    public static readonly BigInteger Order = Hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

    private static readonly BigInteger B = Hex("5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B");

    /// <summary>True when (x, y) are field elements and y² = x³ - 3x + b (mod p).</summary>
    public static bool IsOnCurve(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != FieldSize || y.Length != FieldSize)
        {
            return false;
        }

        var bx = new BigInteger(x, isUnsigned: true, isBigEndian: true);
        var by = new BigInteger(y, isUnsigned: true, isBigEndian: true);
        if (bx >= Prime || by >= Prime)
        {
            return false;
        }

        var left = BigInteger.ModPow(by, 2, Prime);
        var right = (BigInteger.ModPow(bx, 3, Prime) - (3 * bx) + B) % Prime;
        if (right.Sign < 0)
        {
            right += Prime;
        }

        return left == right;
    }

    /// <summary>True when a 32-byte big-endian scalar lies in [1, n - 1].</summary>
    public static bool IsValidScalar(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != FieldSize)
        {
            return false;
        }

        var value = new BigInteger(scalar, isUnsigned: true, isBigEndian: true);
        return value.Sign > 0 && value < Order;
    }

    private static BigInteger Hex(string hex) => BigInteger.Parse("0" + hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
