using OrleansSettlement.Hosting;

namespace OrleansSettlement.Deploy.Tests;

/// <summary>
/// Storage in Azure is a service URI with the managed identity named by <c>AZURE_CLIENT_ID</c> (the variable the
/// deployment sets once for every Azure client); <c>Storage:ManagedIdentityClientId</c> still overrides it, and a
/// connection string (Azurite) still works locally.
/// </summary>
public sealed class StorageSettingsTests
{
    private const string TableEndpoint = "https://stosettle.table.core.windows.net/";
    private const string ClientId = "00000000-0000-0000-0000-0000000000c1";

    [Fact]
    public void TableEndpoint_WithAzureClientId_UsesThatManagedIdentity()
    {
        var settings = StorageSettings.FromConfiguration(Configuration(new()
        {
            [ConfigurationKeys.StorageTableEndpoint] = TableEndpoint,
            [ConfigurationKeys.AzureClientId] = ClientId,
        }));

        Assert.False(settings.UsesConnectionString);
        Assert.Equal(ClientId, settings.ManagedIdentityClientId);
        Assert.Equal(new Uri(TableEndpoint), settings.CreateTableServiceClient().Uri);
        Assert.Equal($"table endpoint {TableEndpoint} with managed identity {ClientId}", settings.Describe());
    }

    [Fact]
    public void StorageManagedIdentityClientId_OverridesAzureClientId()
    {
        var settings = StorageSettings.FromConfiguration(Configuration(new()
        {
            [ConfigurationKeys.StorageTableEndpoint] = TableEndpoint,
            [ConfigurationKeys.AzureClientId] = ClientId,
            [ConfigurationKeys.StorageManagedIdentityClientId] = "00000000-0000-0000-0000-0000000000c2",
        }));

        Assert.Equal("00000000-0000-0000-0000-0000000000c2", settings.ManagedIdentityClientId);
    }

    [Fact]
    public void ConnectionString_StillSelectsAzuriteMode()
    {
        var settings = StorageSettings.FromConfiguration(Configuration(new()
        {
            [ConfigurationKeys.StorageConnectionString] = "UseDevelopmentStorage=true",
        }));

        Assert.True(settings.UsesConnectionString);
        Assert.Null(settings.TableEndpoint);
    }

    [Fact]
    public void BlobEndpoint_NotAnHttpUrl_FailsNamingTheKey()
    {
        var exception = Assert.Throws<HostConfigurationException>(() => StorageSettings.FromConfiguration(Configuration(new()
        {
            [ConfigurationKeys.StorageTableEndpoint] = TableEndpoint,
            [ConfigurationKeys.StorageBlobEndpoint] = "stosettle.blob",
        })));

        Assert.Contains(ConfigurationKeys.StorageBlobEndpoint, exception.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
