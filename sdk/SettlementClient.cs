using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Sdk;

/// <summary>
/// The partner SDK's entry point: an HttpClient (its <see cref="HttpClient.BaseAddress"/> is the API's address) and the
/// public routes. The sessions act for someone: <see cref="Admin"/>, <see cref="Operator"/> and <see cref="Store"/> with a
/// bearer token, <see cref="Wallet"/> with a wallet key that signs every request (RFC 9421). Every POST takes an
/// Idempotency-Key (one is made when none is given): send the same key again to retry safely. Refusals throw
/// <see cref="SettlementApiException"/>.
/// </summary>
public sealed class SettlementClient
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public SettlementClient(HttpClient http, TimeProvider? time = null)
    {
        Http = http ?? throw new ArgumentNullException(nameof(http));
        if (http.BaseAddress is null || !http.BaseAddress.IsAbsoluteUri)
        {
            throw new ArgumentException("the HttpClient needs an absolute BaseAddress: the API's address.", nameof(http));
        }

        // Relative paths resolve below the base address only when it ends with '/': "https://host/api" would lose "api".
        var address = http.BaseAddress.AbsoluteUri;
        BaseAddress = address.EndsWith('/') ? http.BaseAddress : new Uri(address + "/");
        Time = time ?? TimeProvider.System;
    }

    /// <summary>The API's address; routes resolve below it.</summary>
    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    /// <summary>The clock wallet signatures take their <c>created</c> time from.</summary>
    public TimeProvider Time { get; }

    public AdminSession Admin(string adminToken) => new(this, adminToken);

    public OperatorSession Operator(string institution, string operatorToken) => new(this, institution, operatorToken);

    public StoreSession Store(string store, string storeToken) => new(this, store, storeToken);

    /// <summary>A wallet acting with <paramref name="key"/> (its id is the key's thumbprint); the key never leaves the signer.</summary>
    public async Task<WalletSession> WalletAsync(ISigner key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var publicKey = await key.GetPublicKeyAsync(cancellationToken).ConfigureAwait(false);
        return new WalletSession(this, key, publicKey);
    }

    /// <summary>A wallet acting with a local key.</summary>
    public WalletSession Wallet(LocalSigner key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new WalletSession(this, key, key.PublicKey);
    }

    /// <summary>An institution's public profile.</summary>
    public Task<InstitutionInfo> GetInstitutionAsync(string institution, CancellationToken cancellationToken = default) =>
        SendAsync<InstitutionInfo>(HttpMethod.Get, Path("institutions", institution), null, null, null, cancellationToken);

    /// <summary>The institution's note keys as a JWK Set, to verify its notes offline.</summary>
    public Task<KeySet> GetInstitutionKeysAsync(string institution, CancellationToken cancellationToken = default) =>
        SendAsync<KeySet>(HttpMethod.Get, Path("institutions", institution, "jwks"), null, null, null, cancellationToken);

    /// <summary>A store's public profile, with its challenge key.</summary>
    public Task<StoreInfo> GetStoreAsync(string store, CancellationToken cancellationToken = default) =>
        SendAsync<StoreInfo>(HttpMethod.Get, Path("stores", store), null, null, null, cancellationToken);

    /// <summary><c>/v1/a/b/c</c> with each segment escaped.</summary>
    internal static string Path(params string[] segments) => "v1/" + string.Join('/', segments.Select(Uri.EscapeDataString));

    /// <summary>Sends a request and reads the answer; a refusal throws <see cref="SettlementApiException"/>.</summary>
    /// <param name="method">GET or POST.</param>
    /// <param name="path">The path relative to the base address.</param>
    /// <param name="body">The JSON body (POST), or null.</param>
    /// <param name="idempotencyKey">For a POST: the key (one is made when null).</param>
    /// <param name="authorize">Adds credentials to the finished request (the body bytes are given for signing).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    internal async Task<T> SendAsync<T>(
        HttpMethod method,
        string path,
        JsonObject? body,
        string? idempotencyKey,
        Func<HttpRequestMessage, byte[]?, CancellationToken, ValueTask>? authorize,
        CancellationToken cancellationToken)
    {
        using var request = CreateRequest(method, path, body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString(Json)), idempotencyKey, out var bytes);
        if (authorize is not null)
        {
            await authorize(request, bytes, cancellationToken).ConfigureAwait(false);
        }

        return await ReadAsync<T>(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A request to the API with its body (JSON) and, for a POST, its Idempotency-Key.</summary>
    internal HttpRequestMessage CreateRequest(HttpMethod method, string path, byte[]? body, string? idempotencyKey, out byte[]? bytes)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseAddress, path));
        bytes = body;
        if (method == HttpMethod.Post)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey ?? SettlementIds.NewIdempotencyKey());
            bytes ??= [];
        }

        if (bytes is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        return request;
    }

    /// <summary>Sends a finished request and reads its answer as <typeparamref name="T"/>.</summary>
    internal async Task<T> ReadAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            throw new SettlementApiException($"the API did not answer: {exception.Message}", exception);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw Problem((int)response.StatusCode, response.ReasonPhrase, text);
            }

            try
            {
                return JsonSerializer.Deserialize<T>(text, Json) ?? throw new SettlementApiException($"the API answered {(int)response.StatusCode} without a body.");
            }
            catch (JsonException exception)
            {
                throw new SettlementApiException($"the API's answer is not the JSON expected: {exception.Message}", exception);
            }
        }
    }

    private static SettlementApiException Problem(int status, string? reason, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                return new SettlementApiException(
                    status,
                    Read(root, "code"),
                    Read(root, "detail") ?? Read(root, "title") ?? reason ?? "request refused",
                    Read(root, "title"),
                    Read(root, "type"),
                    Read(root, "traceId"));
            }
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's page, for example): report the status.
        }

        return new SettlementApiException(status, null, reason ?? "request refused", null, null, null);
    }

    private static string? Read(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
