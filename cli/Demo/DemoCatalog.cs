using System.Globalization;

namespace OrleansSettlement.Cli.Demo;

/// <summary>
/// The fixed names of the demo data: five payer banks (<c>bank-a</c> .. <c>bank-e</c>), the store's bank
/// (<c>bank-store</c>) and the store <c>demo-store</c> paid into its account there. A demo with its store at another
/// demo bank uses a store of that bank (<c>demo-store-bank-a</c>, made on first use).
/// </summary>
internal static class DemoCatalog
{
    public const string Currency = "EUR";

    public const string StoreBank = "bank-store";

    public const string Store = "demo-store";

    public const string StoreDisplayName = "Demo Café";

    /// <summary>The payer banks, in the order payers are spread over them.</summary>
    public static IReadOnlyList<string> PayerBanks { get; } = ["bank-a", "bank-b", "bank-c", "bank-d", "bank-e"];

    /// <summary>Every demo institution: the payer banks and the store's bank.</summary>
    public static IReadOnlyList<string> Institutions { get; } = [.. PayerBanks, StoreBank];

    public static bool IsInstitution(string name) => Institutions.Contains(name, StringComparer.Ordinal);

    /// <summary>"Bank A" for bank-a, "Store Bank" for bank-store.</summary>
    public static string DisplayName(string institution) =>
        institution == StoreBank
            ? "Store Bank"
            : "Bank " + institution[(institution.LastIndexOf('-') + 1)..].ToUpper(CultureInfo.InvariantCulture);

    /// <summary>The demo store paid into an account at <paramref name="institution"/>.</summary>
    public static string StoreAt(string institution) => institution == StoreBank ? Store : $"{Store}-{institution}";

    public static string StoreDisplayNameAt(string institution) =>
        institution == StoreBank ? StoreDisplayName : $"{StoreDisplayName} at {DisplayName(institution)}";

    /// <summary>The store's settlement account at its bank.</summary>
    public static string AccountOf(string store) => store + "-till";
}
