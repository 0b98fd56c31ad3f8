using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;

namespace OrleansSettlement.Hosting;

/// <summary>
/// How a host reaches Azure Storage. Two ways, chosen by configuration:
/// a connection string (<c>ConnectionStrings:Storage</c> or <c>Storage:ConnectionString</c>; Azurite locally), or
/// endpoints with a Microsoft Entra ID token (<c>Storage:TableEndpoint</c>, optionally <c>Storage:BlobEndpoint</c>,
/// and the client id of a user-assigned managed identity: <c>Storage:ManagedIdentityClientId</c>, else
/// <c>AZURE_CLIENT_ID</c>) through <see cref="DefaultAzureCredential"/>, as in Azure. Key names: <see cref="ConfigurationKeys"/>.
/// </summary>
/// <remarks>
/// This file is shared by the silo and the API (the API links it), so both always agree on the configuration
/// names. A connection string may hold an account key: it is never logged and never shown; <see cref="Describe"/>
/// gives a description that is safe to log.
/// </remarks>
internal sealed class StorageSettings
{
    private readonly string? _connectionString;
    private readonly Lazy<TokenCredential>? _credential;

    private StorageSettings(string? connectionString, Uri? tableEndpoint, Uri? blobEndpoint, string? managedIdentityClientId)
    {
        _connectionString = connectionString;
        TableEndpoint = tableEndpoint;
        BlobEndpoint = blobEndpoint;
        ManagedIdentityClientId = managedIdentityClientId;
        if (connectionString is null)
        {
            _credential = new Lazy<TokenCredential>(() => new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = managedIdentityClientId,
            }));
        }
    }

    /// <summary>The table service endpoint when Entra ID is used; null with a connection string.</summary>
    public Uri? TableEndpoint { get; }

    /// <summary>The blob service endpoint when Entra ID is used (for later blob-based features); may be null.</summary>
    public Uri? BlobEndpoint { get; }

    /// <summary>The client id of a user-assigned managed identity, or null for the default credential chain.</summary>
    public string? ManagedIdentityClientId { get; }

    /// <summary>True when a connection string is used (Azurite or an account key), false for Entra ID.</summary>
    public bool UsesConnectionString => _connectionString is not null;

    /// <summary>Reads the storage settings; throws <see cref="HostConfigurationException"/> naming what to set.</summary>
    public static StorageSettings FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = NullIfBlank(configuration[ConfigurationKeys.StorageConnectionString])
            ?? NullIfBlank(configuration[ConfigurationKeys.StorageSectionConnectionString]);
        var tableEndpoint = ParseEndpoint(configuration, ConfigurationKeys.StorageTableEndpoint);
        var blobEndpoint = ParseEndpoint(configuration, ConfigurationKeys.StorageBlobEndpoint);
        // Storage:ManagedIdentityClientId, else Azure.Identity's own AZURE_CLIENT_ID (which the deployment sets once for
        // every Azure client): an explicit null here would otherwise switch DefaultAzureCredential to the system identity.
        var clientId = NullIfBlank(configuration[ConfigurationKeys.StorageManagedIdentityClientId])
            ?? NullIfBlank(configuration[ConfigurationKeys.AzureClientId]);

        if (connectionString is not null && tableEndpoint is not null)
        {
            throw new HostConfigurationException(
                "Storage is configured twice: set either a connection string (ConnectionStrings:Storage) or Storage:TableEndpoint, not both.");
        }

        if (connectionString is null && tableEndpoint is null)
        {
            throw new HostConfigurationException(
                "No storage configured: set ConnectionStrings:Storage (environment variable ConnectionStrings__Storage), "
                + "or Storage:TableEndpoint to use a managed identity. `./settle up` sets this for you.");
        }

        return new StorageSettings(connectionString, tableEndpoint, blobEndpoint, clientId);
    }

    /// <summary>Creates a table service client; Orleans clustering, grain storage and reminders share one.</summary>
    public TableServiceClient CreateTableServiceClient(TableClientOptions? options = null)
    {
        options ??= new TableClientOptions();
        if (_connectionString is not null)
        {
            try
            {
                return new TableServiceClient(_connectionString, options);
            }
            catch (Exception exception) when (exception is FormatException or ArgumentException or InvalidOperationException)
            {
                // The SDK's message may quote the connection string: say what is wrong without repeating it.
                throw new HostConfigurationException("The storage connection string (ConnectionStrings:Storage) is not a valid Azure Storage connection string.");
            }
        }

        return new TableServiceClient(TableEndpoint, _credential!.Value, options);
    }

    /// <summary>A description that is safe to log: the table endpoint and how the host signs in, never a key.</summary>
    public string Describe()
    {
        if (_connectionString is null)
        {
            var identity = ManagedIdentityClientId is null ? "default Azure credential" : "managed identity " + ManagedIdentityClientId;
            return $"table endpoint {TableEndpoint} with {identity}";
        }

        var endpoint = CreateTableServiceClient().Uri.GetLeftPart(UriPartial.Path);
        return $"table endpoint {endpoint} from a connection string";
    }

    private static Uri? ParseEndpoint(IConfiguration configuration, string key)
    {
        var text = NullIfBlank(configuration[key]);
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new HostConfigurationException($"{key} must be an absolute http(s) URL, for example https://account.table.core.windows.net/.");
        }

        return uri;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
