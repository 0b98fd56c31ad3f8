using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.KeyVault;

/// <summary>Options of <see cref="KeyVaultKeysClient"/>: Azure.Core's retries (<see cref="ClientOptions.Retry"/>,
/// exponential, 429/408/500/502/503/504 retried and <c>Retry-After</c> honoured), transport and diagnostics.</summary>
public sealed class KeyVaultClientOptions : ClientOptions
{
    /// <summary>The Key Vault REST API version every request names.</summary>
    public const string ApiVersion = "7.4";

    /// <summary>The token scope of Key Vault data-plane requests.</summary>
    public const string Scope = "https://vault.azure.net/.default";

    public KeyVaultClientOptions()
    {
        Retry.MaxRetries = 4;
        Retry.Mode = RetryMode.Exponential;
        Retry.Delay = TimeSpan.FromMilliseconds(200);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        Diagnostics.LoggedHeaderNames.Add("Retry-After");
        Diagnostics.LoggedHeaderNames.Add("x-ms-request-id");
        AddPolicy(new KeyVaultMetrics.ThrottlePolicy(), HttpPipelinePosition.PerRetry);
    }
}

/// <summary>A Key Vault key version's public part: its identifier (<c>{vault}/keys/{name}/{version}</c>) and its P-256
/// public key, whose RFC 7638 thumbprint is the <c>kid</c> notes name.</summary>
public sealed record KeyVaultPublicKey(Uri KeyId, string Name, string Version, PublicJwk PublicKey)
{
    public string Kid => PublicKey.Thumbprint;
}

/// <summary>A Key Vault request that failed after Azure.Core's retries: the status and Key Vault's error code. The
/// message names the operation, key and status, never a token.</summary>
public sealed class KeyVaultException : Exception
{
    public KeyVaultException()
    {
    }

    public KeyVaultException(string message)
        : base(message)
    {
    }

    public KeyVaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KeyVaultException(string message, int status, string? errorCode)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    public int Status { get; }

    public string? ErrorCode { get; }
}

/// <summary>
/// The Key Vault keys REST subset this service uses (API version <see cref="KeyVaultClientOptions.ApiVersion"/>):
/// <c>GET {vault}/keys/{name}[/{version}]</c> and <c>POST {vault}/keys/{name}/{version}/sign</c> with ES256, on Azure.Core's
/// <see cref="HttpPipeline"/> with <see cref="BearerTokenAuthenticationPolicy"/> (scope <see cref="KeyVaultClientOptions.Scope"/>),
/// its retry policy and its diagnostics (activities of the <c>Azure.*</c> sources, logs of the <c>Azure-Core</c> event source).
/// Each operation is one activity of <see cref="ActivitySourceName"/> (<c>KeyVaultKeysClient.GetKey</c>,
/// <c>KeyVaultKeysClient.Sign</c>, kind Client) whose children are Azure.Core's <c>Azure.Core.Http</c> request activities
/// (one per attempt, retries included) when Azure.Core's activity source switch is on: this client turns it on unless the
/// process set it (<see cref="EnableAzureActivitySource"/>). Tags: vault host, key name and version, the final HTTP status;
/// never a token or a digest.
/// </summary>
public sealed class KeyVaultKeysClient
{
    /// <summary>The activity source of the client's operations.</summary>
    public const string ActivitySourceName = "OrleansSettlement.KeyVault";

    /// <summary>The AppContext switch that makes Azure.Core emit activities from its <c>Azure.*</c> activity sources.</summary>
    public const string AzureActivitySourceSwitch = "Azure.Experimental.EnableActivitySource";

    /// <summary>The environment variable Azure.Core reads when <see cref="AzureActivitySourceSwitch"/> is not set.</summary>
    public const string AzureActivitySourceVariable = "AZURE_EXPERIMENTAL_ENABLE_ACTIVITY_SOURCE";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    private readonly HttpPipeline _pipeline;

    static KeyVaultKeysClient() => EnableAzureActivitySource();

    /// <summary>
    /// Turns Azure.Core's activity sources on (AppContext switch <see cref="AzureActivitySourceSwitch"/>) unless the process
    /// has already chosen either way (the switch, or <see cref="AzureActivitySourceVariable"/>). Azure.Core reads it once per process, when it first creates a pipeline or a
    /// diagnostic scope: call this at startup, before any Azure client is built (the silo does).
    /// </summary>
    public static void EnableAzureActivitySource()
    {
        if (!AppContext.TryGetSwitch(AzureActivitySourceSwitch, out _) &&
            string.IsNullOrEmpty(Environment.GetEnvironmentVariable(AzureActivitySourceVariable)))
        {
            AppContext.SetSwitch(AzureActivitySourceSwitch, true);
        }
    }

    public KeyVaultKeysClient(Uri vaultUri, TokenCredential credential, KeyVaultClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vaultUri);
        ArgumentNullException.ThrowIfNull(credential);
        VaultUri = new Uri(vaultUri.GetLeftPart(UriPartial.Authority) + "/");
        _pipeline = HttpPipelineBuilder.Build(options ?? new KeyVaultClientOptions(), new BearerTokenAuthenticationPolicy(credential, KeyVaultClientOptions.Scope));
    }

    public Uri VaultUri { get; }

    /// <summary>The public part of key <paramref name="name"/>, version <paramref name="version"/> (its current version when null).</summary>
    public async Task<KeyVaultPublicKey> GetKeyAsync(string name, string? version = null, CancellationToken cancellationToken = default)
    {
        var path = version is null ? $"keys/{Escape(name)}" : $"keys/{Escape(name)}/{Escape(version)}";
        using var activity = StartActivity("KeyVaultKeysClient.GetKey", name, version);
        using var message = Message(RequestMethod.Get, path, null);
        var body = await SendAsync(message, "get key", name, activity, cancellationToken, "get_key").ConfigureAwait(false);
        var key = body["key"] as JsonObject ?? throw new KeyVaultException($"Key Vault answered get key '{name}' without a key.");
        var kid = key["kid"]?.GetValue<string>() ?? throw new KeyVaultException($"Key Vault answered get key '{name}' without a key identifier.");
        var jwk = new JsonObject
        {
            // Key Vault names HSM-protected EC keys "EC-HSM"; the public JWK is "EC" either way.
            ["kty"] = key["kty"]?.GetValue<string>() is "EC-HSM" ? "EC" : key["kty"]?.GetValue<string>(),
            ["crv"] = key["crv"]?.GetValue<string>(),
            ["x"] = key["x"]?.GetValue<string>(),
            ["y"] = key["y"]?.GetValue<string>(),
        };
        var parsed = PublicJwk.Parse(jwk);
        if (!parsed.IsOk)
        {
            throw new KeyVaultException($"key '{name}' is not an EC P-256 key usable for ES256: {parsed.Error.Detail}");
        }

        var keyId = new Uri(kid);
        var segments = keyId.AbsolutePath.Trim('/').Split('/');
        if (segments.Length != 3 || segments[0] != "keys")
        {
            throw new KeyVaultException($"Key Vault answered get key '{name}' with an unexpected key identifier.");
        }

        return new KeyVaultPublicKey(keyId, segments[1], segments[2], parsed.Value);
    }

    /// <summary>Signs a SHA-256 digest with ES256 in the vault; returns the 64-byte P1363 signature.</summary>
    public async Task<byte[]> SignDigestAsync(string name, string version, ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        if (sha256Digest.Length != 32)
        {
            throw new ArgumentException("an ES256 digest is 32 bytes (SHA-256).", nameof(sha256Digest));
        }

        var request = new JsonObject { ["alg"] = "ES256", ["value"] = Base64UrlEncode(sha256Digest.Span) };
        using var activity = StartActivity("KeyVaultKeysClient.Sign", name, version);
        using var message = Message(RequestMethod.Post, $"keys/{Escape(name)}/{Escape(version)}/sign", request);
        var body = await SendAsync(message, "sign", name, activity, cancellationToken, "sign").ConfigureAwait(false);
        var value = body["value"]?.GetValue<string>() ?? throw new KeyVaultException($"Key Vault answered sign with key '{name}' without a value.");
        var signature = Base64UrlDecode(value);
        return signature.Length == Es256.SignatureLength
            ? signature
            : throw new KeyVaultException($"Key Vault answered sign with key '{name}' with a {signature.Length}-byte signature, not {Es256.SignatureLength}.");
    }

    private HttpMessage Message(RequestMethod method, string path, JsonObject? body)
    {
        var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        request.Uri.Reset(new Uri(VaultUri, path));
        request.Uri.AppendQuery("api-version", KeyVaultClientOptions.ApiVersion);
        request.Headers.Add("Accept", "application/json");
        if (body is not null)
        {
            request.Headers.Add("Content-Type", "application/json");
            request.Content = RequestContent.Create(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        }

        return message;
    }

    private Activity? StartActivity(string operation, string name, string? version)
    {
        var activity = Source.StartActivity(operation, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("az.namespace", "Microsoft.KeyVault");
            activity.SetTag("server.address", VaultUri.Host);
            activity.SetTag("keyvault.key.name", name);
            if (version is not null)
            {
                activity.SetTag("keyvault.key.version", version);
            }
        }

        return activity;
    }

    private async Task<JsonObject> SendAsync(HttpMessage message, string operation, string name, Activity? activity, CancellationToken cancellationToken, string metricOperation)
    {
        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            KeyVaultMetrics.Operation(metricOperation, exception.GetType().Name);
            activity?.SetTag("error.type", exception.GetType().FullName);
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            throw;
        }

        var response = message.Response;
        KeyVaultMetrics.Operation(metricOperation, response.Status is >= 200 and <= 299 ? "ok" : response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        activity?.SetTag("http.response.status_code", response.Status);
        var text = response.Content.ToString();
        if (response.Status is < 200 or > 299)
        {
            activity?.SetTag("error.type", response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity?.SetStatus(ActivityStatusCode.Error, $"HTTP {response.Status}");
            string? code = null;
            string? detail = null;
            try
            {
                var error = JsonNode.Parse(text)?["error"];
                code = error?["code"]?.GetValue<string>();
                detail = error?["message"]?.GetValue<string>();
            }
            catch (JsonException)
            {
                // Not Key Vault's error body: the status says enough.
            }

            var hint = response.Status is 401 or 403
                ? " Check the credential (DefaultAzureCredential: managed identity, az login, environment) and its Key Vault permissions (keys/get and keys/sign, e.g. the 'Key Vault Crypto User' role)."
                : "";
            throw new KeyVaultException(
                $"Key Vault {operation} for key '{name}' at {VaultUri.Host} failed: HTTP {response.Status}{(code is null ? "" : " " + code)}{(detail is null ? "" : ": " + Truncate(detail))}.{hint}",
                response.Status,
                code);
        }

        return JsonNode.Parse(text) as JsonObject ?? throw new KeyVaultException($"Key Vault answered {operation} for key '{name}' with something that is not a JSON object.");
    }

    private static string Escape(string segment)
    {
        ArgumentException.ThrowIfNullOrEmpty(segment);
        return Uri.EscapeDataString(segment);
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "...";

    internal static string Base64UrlEncode(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    internal static byte[] Base64UrlDecode(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);
}
