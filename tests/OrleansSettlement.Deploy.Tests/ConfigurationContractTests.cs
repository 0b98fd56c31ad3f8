using System.Reflection;
using System.Text.RegularExpressions;
using OrleansSettlement.Api;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Hosting;

namespace OrleansSettlement.Deploy.Tests;

/// <summary>
/// The environment variables each container app gets from the templates are exactly the configuration that app reads
/// (<see cref="ConfigurationKeys"/>), both ways: nothing is set that the app does not read, or that is for local
/// development only; every key a deployment must set is set, and each bank's signing keys are set for every bank of the
/// parameter file and no other. Checked on the resources <c>bicep snapshot</c> predicts for each environment.
/// </summary>
public sealed partial class ConfigurationContractTests
{
    public static TheoryData<string, string> AppsPerEnvironment() => new()
    {
        { "dev", Deployment.SiloContainer },
        { "dev", Deployment.ApiContainer },
        { "prod", Deployment.SiloContainer },
        { "prod", Deployment.ApiContainer },
    };

    [Theory]
    [MemberData(nameof(AppsPerEnvironment))]
    public void EverySetVariable_IsAKeyTheAppReads(string environment, string container)
    {
        var deployment = Deployment.Of(environment);
        var contract = ContractOf(container);

        var unread = deployment.EnvironmentOf(container)
            .Where(variable => !contract.Any(key => key.Use != KeyUse.LocalOnly && Matches(key.Name, variable.Key)))
            .Select(variable => variable.Name)
            .ToList();

        Assert.True(unread.Count == 0, $"{environment}/{container} sets variables the app does not read: {string.Join(", ", unread)}");
    }

    [Theory]
    [MemberData(nameof(AppsPerEnvironment))]
    public void EveryRequiredKey_IsSet(string environment, string container)
    {
        var deployment = Deployment.Of(environment);
        var set = deployment.EnvironmentOf(container).Select(variable => variable.Key).ToHashSet(StringComparer.Ordinal);

        var missing = ContractOf(container)
            .SelectMany(key => key.Use switch
            {
                KeyUse.Required => [key.Name],
                KeyUse.PerBank => deployment.Banks.Select(bank => key.Name.Replace("{bank}", bank, StringComparison.Ordinal)),
                _ => [],
            })
            .Where(name => !set.Contains(name))
            .ToList();

        Assert.NotEmpty(deployment.Banks);
        Assert.True(missing.Count == 0, $"{environment}/{container} does not set: {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(AppsPerEnvironment))]
    public void Variables_AreSetOnce_AndSigningOnlyForTheParameterFilesBanks(string environment, string container)
    {
        var deployment = Deployment.Of(environment);
        var variables = deployment.EnvironmentOf(container);

        var duplicates = variables.GroupBy(variable => variable.Name, StringComparer.OrdinalIgnoreCase).Where(group => group.Count() > 1).Select(group => group.Key);
        Assert.Empty(duplicates);
        var signedBanks = variables
            .Select(variable => SigningKey().Match(variable.Key))
            .Where(match => match.Success)
            .Select(match => match.Groups["bank"].Value)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(deployment.Banks.Order(StringComparer.Ordinal), signedBanks.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void SigningSettings_NameEachBanksKeyInTheDeployedVault_OfKindKeyVault(string environment)
    {
        var deployment = Deployment.Of(environment);
        var vault = deployment.OfType("Microsoft.KeyVault/vaults").Single();
        var keyNames = deployment.OfType("Microsoft.KeyVault/vaults/keys").Select(key => key["name"]!.GetValue<string>().Split('/')[1]).ToHashSet(StringComparer.Ordinal);

        foreach (var container in new[] { Deployment.SiloContainer, Deployment.ApiContainer })
        {
            var variables = deployment.EnvironmentOf(container).ToDictionary(variable => variable.Key, StringComparer.Ordinal);
            foreach (var bank in deployment.Banks)
            {
                var prefix = $"{ConfigurationKeys.SigningInstitutions}:{bank}:";
                Assert.Equal(ConfigurationKeys.SigningKindKeyVault, variables[prefix + ConfigurationKeys.SigningKind].Value);
                Assert.Contains(variables[prefix + ConfigurationKeys.SigningKeyName].Value!, keyNames);
                var vaultUri = variables[prefix + ConfigurationKeys.SigningVaultUri].Value!;
                Assert.Contains(vault["id"]!.GetValue<string>(), vaultUri, StringComparison.Ordinal);
                Assert.EndsWith(".vaultUri]", vaultUri, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Contract_SigningSection_IsTheOneTheNoteKeySourceReads()
    {
        Assert.Equal(ConfiguredNoteKeySource.SectionName, ConfigurationKeys.SigningInstitutions);
    }

    [Fact]
    public void Contract_CoversEveryApiOption()
    {
        var options = typeof(ApiOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(property => property.Name);

        var uncovered = options.Where(option => !ConfigurationKeys.Api.Any(key =>
            Matches(key.Name, $"{ApiOptions.SectionName}:{option}") || Matches(key.Name, $"{ApiOptions.SectionName}:{option}:0")));

        Assert.Empty(uncovered);
    }

    [Fact]
    public void Contract_CoversTheGrainOptionSections()
    {
        Assert.Contains(ConfigurationKeys.Silo, key => Matches(key.Name, $"{BankingOptions.SectionName}:{nameof(BankingOptions.RetryPeriod)}"));
        Assert.Contains(ConfigurationKeys.Silo, key => Matches(key.Name, $"{Grains.Checkout.CheckoutOptions.SectionName}:{nameof(Grains.Checkout.CheckoutOptions.VoteTimeout)}"));
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void OrleansTables_AreTheTablesTheCodeUses(string environment)
    {
        var tables = Deployment.Of(environment).OfType("Microsoft.Storage/storageAccounts/tableServices/tables")
            .Select(table => table["name"]!.GetValue<string>().Split('/')[^1])
            .Order(StringComparer.Ordinal);

        Assert.Equal(new[] { StorageNames.GrainStateTable, StorageNames.MembershipTable, StorageNames.RemindersTable }.Order(StringComparer.Ordinal), tables);
    }

    [Fact]
    public void Matches_TreatsBracedSegmentsAsOneSegment()
    {
        Assert.True(Matches("Signing:Institutions:{bank}:Kind", "Signing:Institutions:bank-a:Kind"));
        Assert.False(Matches("Signing:Institutions:{bank}:Kind", "Signing:Institutions:bank-a:extra:Kind"));
        Assert.False(Matches("Signing:Institutions:{bank}:Kind", "Signing:Institutions:bank-a:KeyName"));
        Assert.False(Matches("Orleans:ClusterId", "Orleans:ClusterIdentity"));
    }

    private static IReadOnlyList<ConfigurationKey> ContractOf(string container) =>
        container == Deployment.SiloContainer ? ConfigurationKeys.Silo : ConfigurationKeys.Api;

    /// <summary>True when <paramref name="key"/> is <paramref name="pattern"/> with each <c>{name}</c> replaced by one segment.</summary>
    private static bool Matches(string pattern, string key)
    {
        var expression = "^" + string.Join(":", pattern.Split(':').Select(segment =>
            segment.StartsWith('{') && segment.EndsWith('}') ? "[^:]+" : Regex.Escape(segment))) + "$";
        return Regex.IsMatch(key, expression, RegexOptions.CultureInvariant);
    }

    [GeneratedRegex("^Signing:Institutions:(?<bank>[^:]+):", RegexOptions.CultureInvariant)]
    private static partial Regex SigningKey();
}
