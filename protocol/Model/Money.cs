using System.Diagnostics.CodeAnalysis;
using OrleansSettlement.Protocol.Canonical;

namespace OrleansSettlement.Protocol.Model;

/// <summary>
/// An ISO 4217 currency code: three upper-case ASCII letters. The code names the currency; the number of
/// minor units per major unit is the currency's business and never enters arithmetic here.
/// </summary>
public readonly record struct Currency
{
    private Currency(string code) => Code = code;

    public string Code { get; }

    public static Outcome<Currency> Parse(string? code)
    {
        if (code is not { Length: 3 } || !code.All(c => c is >= 'A' and <= 'Z'))
        {
            return Outcome<Currency>.Fail(ProtocolErrorCode.InvalidCurrency, $"'{Truncate(code)}' is not an ISO 4217 currency code (three upper-case letters, for example EUR).");
        }

        return Outcome<Currency>.Ok(new Currency(code));
    }

    public override string ToString() => Code ?? "";

    internal static string Truncate(string? text) => text is null ? "(null)" : text.Length <= 16 ? text : text[..16] + "...";
}

/// <summary>
/// An amount of money: a currency and a whole number of minor units (cents for EUR). The range is
/// ±(2^53 − 1) so that every amount survives RFC 8785 canonicalization in every language. Arithmetic
/// is checked: mixing currencies and leaving the range are outcomes, never silent.
/// </summary>
public readonly record struct Money
{
    /// <summary>The largest magnitude of an amount in minor units: 2^53 − 1.</summary>
    public const long MaxAmountMinor = SafeJson.MaxSafeInteger;

    private Money(Currency currency, long amountMinor)
    {
        Currency = currency;
        AmountMinor = amountMinor;
    }

    public Currency Currency { get; }

    public long AmountMinor { get; }

    public static Outcome<Money> Create(string? currency, long amountMinor)
    {
        if (!Currency.Parse(currency).TryGetValue(out var parsed, out var error))
        {
            return error;
        }

        return Create(parsed, amountMinor);
    }

    public static Outcome<Money> Create(Currency currency, long amountMinor)
    {
        if (amountMinor is > MaxAmountMinor or < -MaxAmountMinor)
        {
            return Outcome<Money>.Fail(ProtocolErrorCode.AmountOutOfRange, $"{amountMinor} minor units is outside ±{MaxAmountMinor}.");
        }

        return Outcome<Money>.Ok(new Money(currency, amountMinor));
    }

    /// <summary>An amount that must be greater than zero (a share, a note, a total).</summary>
    public static Outcome<Money> Positive(string? currency, long amountMinor)
    {
        var money = Create(currency, amountMinor);
        if (money.IsOk && amountMinor <= 0)
        {
            return Outcome<Money>.Fail(ProtocolErrorCode.NonPositiveAmount, $"the amount must be at least 1 minor unit, not {amountMinor}.");
        }

        return money;
    }

    public static Money Zero(Currency currency) => new(currency, 0);

    public Outcome<Money> Add(Money other) => Combine(other, checked(AmountMinor + other.AmountMinor));

    public Outcome<Money> Subtract(Money other) => Combine(other, checked(AmountMinor - other.AmountMinor));

    /// <summary>The sum of amounts in one currency; an empty sequence is refused because it has no currency.</summary>
    public static Outcome<Money> Sum(IEnumerable<Money> amounts)
    {
        ArgumentNullException.ThrowIfNull(amounts);
        Money? total = null;
        foreach (var amount in amounts)
        {
            if (total is null)
            {
                total = amount;
                continue;
            }

            var next = total.Value.Add(amount);
            if (!next.IsOk)
            {
                return next;
            }

            total = next.Value;
        }

        return total is { } value
            ? Outcome<Money>.Ok(value)
            : Outcome<Money>.Fail(ProtocolErrorCode.InvalidField, "there is no amount to add up.");
    }

    [SuppressMessage("Style", "IDE0046", Justification = "Two refusals read better as statements.")]
    private Outcome<Money> Combine(Money other, long resultMinor)
    {
        // Both operands lie within ±(2^53 − 1), so the long arithmetic above cannot overflow;
        // the protocol's narrower range is checked here.
        if (other.Currency != Currency)
        {
            return Outcome<Money>.Fail(ProtocolErrorCode.CurrencyMismatch, $"cannot combine {Currency} with {other.Currency}.");
        }

        if (resultMinor is > MaxAmountMinor or < -MaxAmountMinor)
        {
            return Outcome<Money>.Fail(ProtocolErrorCode.AmountOverflow, $"the result leaves the range ±{MaxAmountMinor} minor units.");
        }

        return Outcome<Money>.Ok(new Money(Currency, resultMinor));
    }

    public override string ToString() => $"{AmountMinor} {Currency} (minor units)";
}
