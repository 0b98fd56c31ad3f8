using System.Globalization;
using System.Text;

namespace OrleansSettlement.Protocol.Canonical;

/// <summary>
/// ECMAScript <c>Number.prototype.toString</c> for finite doubles (ECMA-262 Number::toString,
/// as RFC 8785 §3.2.2.3 requires): the shortest digits that round-trip, plain notation for
/// decimal exponents in (-7, 21), otherwise <c>d.ddde±x</c>; -0 is written 0.
/// </summary>
internal static class EsNumber
{
    public static string Format(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "NaN and infinities have no JSON form");
        }

        if (value == 0)
        {
            return "0"; // +0 and -0
        }

        // .NET Core 3.0+ "R" gives the shortest round-trip digits, e.g. "-1.2345E-07", "123.45", "1E+30".
        var r = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = r[0] == '-';
        var body = negative ? r.AsSpan(1) : r.AsSpan();
        var exponent = 0;
        var e = body.IndexOfAny('E', 'e');
        if (e >= 0)
        {
            exponent = int.Parse(body[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            body = body[..e];
        }

        var point = body.IndexOf('.');
        var integerDigits = point >= 0 ? point : body.Length;
        var digits = new StringBuilder(body.Length);
        foreach (var c in body)
        {
            if (c != '.')
            {
                digits.Append(c);
            }
        }

        // value = 0.<digits> x 10^n
        var n = integerDigits + exponent;
        var leading = 0;
        while (leading < digits.Length && digits[leading] == '0')
        {
            leading++;
        }

        digits.Remove(0, leading);
        n -= leading;
        var end = digits.Length;
        while (end > 0 && digits[end - 1] == '0')
        {
            end--;
        }

        digits.Length = end;
        var s = digits.ToString();
        var k = s.Length;
        var result = new StringBuilder(32);
        if (negative)
        {
            result.Append('-');
        }

        if (k <= n && n <= 21)
        {
            result.Append(s).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            result.Append(s, 0, n).Append('.').Append(s, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            result.Append("0.").Append('0', -n).Append(s);
        }
        else
        {
            var x = n - 1;
            result.Append(s[0]);
            if (k > 1)
            {
                result.Append('.').Append(s, 1, k - 1);
            }

            result.Append('e').Append(x < 0 ? '-' : '+').Append(Math.Abs(x).ToString(CultureInfo.InvariantCulture));
        }

        return result.ToString();
    }
}
