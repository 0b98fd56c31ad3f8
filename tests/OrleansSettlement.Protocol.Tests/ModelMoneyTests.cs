using CsCheck;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Protocol.Tests;

public class ModelMoneyTests
{
    [Theory]
    [InlineData("EUR", true)]
    [InlineData("JPY", true)]
    [InlineData("eur", false)]
    [InlineData("EU", false)]
    [InlineData("EURO", false)]
    [InlineData("E1R", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void CurrencyParse_AcceptsOnlyThreeUpperCaseLetters(string? code, bool ok)
    {
        var parsed = Currency.Parse(code);
        Assert.Equal(ok, parsed.IsOk);
        if (!ok)
        {
            Assert.Equal(ProtocolErrorCode.InvalidCurrency, parsed.Error!.Code);
        }
    }

    [Theory]
    [InlineData(0, ProtocolErrorCode.NonPositiveAmount)]
    [InlineData(-1, ProtocolErrorCode.NonPositiveAmount)]
    [InlineData(9007199254740992, ProtocolErrorCode.AmountOutOfRange)]
    [InlineData(long.MaxValue, ProtocolErrorCode.AmountOutOfRange)]
    [InlineData(long.MinValue, ProtocolErrorCode.AmountOutOfRange)]
    public void Positive_RefusesZeroNegativeAndOutOfRange(long amount, ProtocolErrorCode expected)
    {
        var money = Money.Positive("EUR", amount);
        Assert.False(money.IsOk);
        Assert.Equal(expected, money.Error!.Code);
    }

    [Fact]
    public void Add_DifferentCurrencies_IsCurrencyMismatch()
    {
        var eur = Money.Create("EUR", 1).Value;
        var usd = Money.Create("USD", 1).Value;
        Assert.Equal(ProtocolErrorCode.CurrencyMismatch, eur.Add(usd).Error!.Code);
    }

    [Fact]
    public void Add_AtTheEdgeOfTheRange_IsAmountOverflow()
    {
        var max = Money.Create("EUR", Money.MaxAmountMinor).Value;
        var one = Money.Create("EUR", 1).Value;
        Assert.Equal(ProtocolErrorCode.AmountOverflow, max.Add(one).Error!.Code);
        Assert.Equal(Money.MaxAmountMinor - 1, max.Subtract(one).Value.AmountMinor);
    }

    [Fact]
    public void Sum_Empty_IsRefused() => Assert.False(Money.Sum([]).IsOk);

    // Property: arithmetic is either exact (equal to the BigInteger result within range) or an outcome,
    // never a silent wrap-around.
    [Fact]
    public void AddSubtract_NeverOverflowSilently()
    {
        var amount = Gen.Long[-Money.MaxAmountMinor, Money.MaxAmountMinor];
        Gen.Select(amount, amount).Sample((a, b) =>
        {
            var x = Money.Create("EUR", a).Value;
            var y = Money.Create("EUR", b).Value;
            foreach (var (result, exact) in new[] { (x.Add(y), (System.Numerics.BigInteger)a + b), (x.Subtract(y), (System.Numerics.BigInteger)a - b) })
            {
                var inRange = System.Numerics.BigInteger.Abs(exact) <= Money.MaxAmountMinor;
                if (inRange != result.IsOk)
                {
                    return false;
                }

                if (inRange && result.Value.AmountMinor != exact)
                {
                    return false;
                }

                if (!inRange && result.Error!.Code != ProtocolErrorCode.AmountOverflow)
                {
                    return false;
                }
            }

            return true;
        });
    }

    [Fact]
    public void Sum_OfManyLargeAmounts_IsAnOutcomeNotAWrap()
    {
        var big = Money.Create("EUR", Money.MaxAmountMinor / 2 + 1).Value;
        Assert.Equal(ProtocolErrorCode.AmountOverflow, Money.Sum([big, big, big]).Error!.Code);
    }

    [Theory]
    [InlineData("2026-11-26T10:00:00Z", true)]
    [InlineData("2026-11-26T10:00:00.000Z", false)]
    [InlineData("2026-11-26T10:00:00+00:00", false)]
    [InlineData("2026-11-26 10:00:00Z", false)]
    [InlineData("2026-02-30T10:00:00Z", false)]
    public void TimestampParse_AcceptsOneCanonicalForm(string text, bool ok)
    {
        Assert.Equal(ok, Timestamps.Parse(text, "t").IsOk);
        if (ok)
        {
            Assert.Equal(text, Timestamps.Format(Timestamps.Parse(text, "t").Value));
        }
    }

    [Theory]
    [InlineData("bank-a", true)]
    [InlineData("a", true)]
    [InlineData("-bank", false)]
    [InlineData("Bank", false)]
    [InlineData("bank_a", false)]
    [InlineData("", false)]
    public void Names_FollowTheDocumentedRule(string name, bool ok) => Assert.Equal(ok, Names.IsValid(name));

    [Fact]
    public void WireCode_IsSnakeCase()
    {
        Assert.Equal("shares_do_not_sum_to_total", ProtocolError.ToWireCode(ProtocolErrorCode.SharesDoNotSumToTotal));
        Assert.Equal("note_expired", ProtocolError.ToWireCode(ProtocolErrorCode.NoteExpired));
    }

    [Fact]
    public void WireCodes_AreDistinct()
    {
        var codes = Enum.GetValues<ProtocolErrorCode>().Select(ProtocolError.ToWireCode).ToList();
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
    }
}
