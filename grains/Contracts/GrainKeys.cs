namespace OrleansSettlement.Contracts;

/// <summary>
/// Composite grain keys. Names (institutions, accounts, stores) never contain '|', and base64url ids
/// (serials, agreement ids) never do either, so '|' separates the parts unambiguously.
/// </summary>
public static class GrainKeys
{
    public const char Separator = '|';

    /// <summary>An account at an institution: <c>bank-a|alice</c>.</summary>
    public static string Account(string institution, string account) => Join(institution, account);

    /// <summary>A note by its issuer and serial: <c>bank-a|ABEiM0RVZneImaq7zN3u_w</c>.</summary>
    public static string Note(string institution, string serial) => Join(institution, serial);

    /// <summary>One institution's part in one agreement: <c>bank-a|&lt;agreement id&gt;</c>.</summary>
    public static string BankAgreement(string institution, string agreementId) => Join(institution, agreementId);

    /// <summary>A checkout session of a store: <c>corner-cafe|&lt;checkout id&gt;</c>.</summary>
    public static string Checkout(string store, string checkoutId) => Join(store, checkoutId);

    public static (string First, string Second) Split(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.IndexOf(Separator, StringComparison.Ordinal);
        return at <= 0 || at == key.Length - 1
            ? throw new ArgumentException($"'{key}' is not a composite key.", nameof(key))
            : (key[..at], key[(at + 1)..]);
    }

    private static string Join(string first, string second) => string.Concat(first, Separator.ToString(), second);
}
