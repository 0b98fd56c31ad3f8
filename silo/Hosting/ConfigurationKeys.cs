namespace OrleansSettlement.Hosting;

/// <summary>
/// The configuration contract of the two hosts: every configuration key the silo and the API read, in one place, so
/// that the deployment (deploy/bicep sets them as environment variables, <c>:</c> written <c>__</c>) can be checked
/// against the code. The code reads these constants; tests/OrleansSettlement.Deploy.Tests compares <see cref="Silo"/>
/// and <see cref="Api"/> with the environment variables the Bicep templates set on each container app, both ways.
/// </summary>
/// <remarks>
/// Compiled into the silo, the API (every file of silo/Hosting is) and the deployment tests. A key holding
/// <c>{name}</c> is a pattern: <c>{name}</c> stands for one key segment (a bank, a list index, an option name).
/// Framework settings the hosts do not read themselves (<c>Logging:*</c>, <c>DOTNET_*</c>) are not part of it.
/// </remarks>
internal static class ConfigurationKeys
{
    /// <summary>A storage connection string (Azurite locally, or an account key). Never set in Azure: the account refuses shared keys.</summary>
    public const string StorageConnectionString = "ConnectionStrings:Storage";

    /// <summary>The same, in the <c>Storage</c> section.</summary>
    public const string StorageSectionConnectionString = "Storage:ConnectionString";

    /// <summary>The table service URI (<c>https://ACCOUNT.table.core.windows.net/</c>), reached with a Microsoft Entra ID token.</summary>
    public const string StorageTableEndpoint = "Storage:TableEndpoint";

    /// <summary>The blob service URI, with the same credential (checked and described; no feature stores blobs yet).</summary>
    public const string StorageBlobEndpoint = "Storage:BlobEndpoint";

    /// <summary>The client id of the user-assigned managed identity for storage; overrides <see cref="AzureClientId"/>.</summary>
    public const string StorageManagedIdentityClientId = "Storage:ManagedIdentityClientId";

    /// <summary>
    /// The client id of the user-assigned managed identity: Azure.Identity's own variable, which
    /// <c>DefaultAzureCredential</c> reads for every Azure client (storage, Key Vault). The hosts read it for storage too.
    /// </summary>
    public const string AzureClientId = "AZURE_CLIENT_ID";

    /// <summary>The Orleans cluster id (silos and clients of one cluster agree on it).</summary>
    public const string ClusterId = "Orleans:ClusterId";

    /// <summary>The Orleans service id (grain state and reminders are keyed by it: never change it once deployed).</summary>
    public const string ServiceId = "Orleans:ServiceId";

    /// <summary>The silo-to-silo port.</summary>
    public const string SiloPort = "Orleans:SiloPort";

    /// <summary>The gateway port clients (the API) connect to.</summary>
    public const string GatewayPort = "Orleans:GatewayPort";

    /// <summary>The address a silo publishes in the membership table: an IP address, or <see cref="AutomaticAddress"/>.</summary>
    public const string AdvertisedIPAddress = "Orleans:AdvertisedIPAddress";

    /// <summary>The value of <see cref="AdvertisedIPAddress"/> that means "this container's own IPv4 address".</summary>
    public const string AutomaticAddress = "auto";

    /// <summary>Listen on every address (containers) rather than the advertised one only.</summary>
    public const string ListenOnAnyHostAddress = "Orleans:ListenOnAnyHostAddress";

    /// <summary>The section of a bank's note signer (read by the silo's note key source and the API's signer readiness check).</summary>
    public const string SigningInstitutions = "Signing:Institutions";

    /// <summary>Under <c>Signing:Institutions:{bank}</c>: <c>KeyVault</c> for a Key Vault key; anything else is the development signer.</summary>
    public const string SigningKind = "Kind";

    /// <summary>The value of <see cref="SigningKind"/> for a key held in Azure Key Vault.</summary>
    public const string SigningKindKeyVault = "KeyVault";

    /// <summary>Under <c>Signing:Institutions:{bank}</c>: the vault URI (<c>https://NAME.vault.azure.net/</c>).</summary>
    public const string SigningVaultUri = "VaultUri";

    /// <summary>Under <c>Signing:Institutions:{bank}</c>: the key name in the vault.</summary>
    public const string SigningKeyName = "KeyName";

    /// <summary>Under <c>Signing:Institutions:{bank}</c>: a fixed key version (optional; else the key's current version).</summary>
    public const string SigningKeyVersion = "KeyVersion";

    /// <summary>Application Insights (Azure Monitor exporter): read by the telemetry wiring when set.</summary>
    public const string ApplicationInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The OTLP exporter endpoint (the OpenTelemetry SDK's variable): read by the telemetry wiring when set.</summary>
    public const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The API's listening URLs: ASP.NET Core's <c>urls</c> key, from <c>ASPNETCORE_URLS</c>.</summary>
    public const string ApiUrls = "ASPNETCORE_URLS";

    /// <summary>The API's own options section (<c>ApiOptions</c>); the named keys below are the ones a deployment sets.</summary>
    public const string ApiSection = "Api";

    /// <summary>The base64url SHA-256 of the admin bearer token (a Container Apps secret in Azure).</summary>
    public const string ApiAdminTokenSha256 = "Api:AdminTokenSha256";

    /// <summary>Honour X-Forwarded-* from trusted proxies (the Container Apps ingress is one).</summary>
    public const string ApiForwardedHeaders = "Api:ForwardedHeaders";

    /// <summary>Trusted proxy networks (a list: <c>Api:KnownNetworks:0</c>, <c>:1</c>, ...).</summary>
    public const string ApiKnownNetworks = "Api:KnownNetworks";

    /// <summary>The silo's keys. <see cref="KeyUse.Required"/>: a deployment in Azure sets it.</summary>
    public static readonly IReadOnlyList<ConfigurationKey> Silo =
    [
        new(StorageConnectionString, KeyUse.LocalOnly),
        new(StorageSectionConnectionString, KeyUse.LocalOnly),
        new(StorageTableEndpoint, KeyUse.Required),
        new(StorageBlobEndpoint, KeyUse.Required),
        new(StorageManagedIdentityClientId, KeyUse.Optional),
        new(AzureClientId, KeyUse.Required),
        new(ClusterId, KeyUse.Required),
        new(ServiceId, KeyUse.Required),
        new(SiloPort, KeyUse.Required),
        new(GatewayPort, KeyUse.Required),
        new(AdvertisedIPAddress, KeyUse.Required),
        new(ListenOnAnyHostAddress, KeyUse.Required),
        new(SigningInstitutions + ":{bank}:" + SigningKind, KeyUse.PerBank),
        new(SigningInstitutions + ":{bank}:" + SigningVaultUri, KeyUse.PerBank),
        new(SigningInstitutions + ":{bank}:" + SigningKeyName, KeyUse.PerBank),
        new(SigningInstitutions + ":{bank}:" + SigningKeyVersion, KeyUse.Optional),
        new(ApplicationInsightsConnectionString, KeyUse.Required),
        new(OtlpEndpoint, KeyUse.Optional),
        new("Banking:{option}", KeyUse.Optional),
        new("Checkout:{option}", KeyUse.Optional),
    ];

    /// <summary>The API's keys. <see cref="KeyUse.Required"/>: a deployment in Azure sets it.</summary>
    public static readonly IReadOnlyList<ConfigurationKey> Api =
    [
        new(StorageConnectionString, KeyUse.LocalOnly),
        new(StorageSectionConnectionString, KeyUse.LocalOnly),
        new(StorageTableEndpoint, KeyUse.Required),
        new(StorageBlobEndpoint, KeyUse.Optional),
        new(StorageManagedIdentityClientId, KeyUse.Optional),
        new(AzureClientId, KeyUse.Required),
        new(ClusterId, KeyUse.Required),
        new(ServiceId, KeyUse.Required),
        new(SigningInstitutions + ":{bank}:" + SigningKind, KeyUse.PerBank),
        new(SigningInstitutions + ":{bank}:" + SigningVaultUri, KeyUse.PerBank),
        new(SigningInstitutions + ":{bank}:" + SigningKeyName, KeyUse.PerBank),
        new(SigningInstitutions + ":{bank}:" + SigningKeyVersion, KeyUse.Optional),
        new(ApplicationInsightsConnectionString, KeyUse.Required),
        new(OtlpEndpoint, KeyUse.Optional),
        new(ApiUrls, KeyUse.Required),
        new(ApiAdminTokenSha256, KeyUse.Required),
        new(ApiForwardedHeaders, KeyUse.Required),
        new(ApiKnownNetworks + ":{index}", KeyUse.Optional),
        new(ApiSection + ":KnownProxies:{index}", KeyUse.Optional),
        new(ApiSection + ":MaxBodyBytes", KeyUse.Optional),
        new(ApiSection + ":MaxBundleBodyBytes", KeyUse.Optional),
        new(ApiSection + ":ReplayCacheEntries", KeyUse.Optional),
    ];
}

/// <summary>How a deployment in Azure treats a configuration key.</summary>
internal enum KeyUse
{
    /// <summary>Set by every deployment.</summary>
    Required,

    /// <summary>Set once for every bank whose notes are signed in Key Vault (a pattern with <c>{bank}</c>).</summary>
    PerBank,

    /// <summary>May be set; the host has a default.</summary>
    Optional,

    /// <summary>Local development only (Azurite); a deployment in Azure must not set it.</summary>
    LocalOnly,
}

/// <summary>One key of the contract: its name (<c>:</c>-separated, possibly a pattern) and how a deployment treats it.</summary>
internal sealed record ConfigurationKey(string Name, KeyUse Use);
