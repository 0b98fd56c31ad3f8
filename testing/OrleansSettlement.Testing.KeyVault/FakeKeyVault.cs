using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansSettlement.KeyVault;

namespace OrleansSettlement.Testing.KeyVault;

/// <summary>
/// A local HTTPS server (Kestrel on 127.0.0.1:0, a self-signed certificate made here) that speaks the Key Vault keys REST
/// subset the client uses (get key, sign ES256) with real P-256 keys it holds, checks the bearer token and the
/// api-version, counts requests, and can be told to fail: 429 with Retry-After, a 5xx, a 401.
/// </summary>
public sealed class FakeKeyVault : IAsyncDisposable
{
    public const string Token = "fake-vault-token";

    private readonly ConcurrentDictionary<string, List<(string Version, ECDsa Key)>> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Status, int? RetryAfterSeconds)> _faults = new();
    private readonly ConcurrentQueue<(string Method, string Path, int Status, TimeSpan At)> _log = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private WebApplication? _app;

    private FakeKeyVault(X509Certificate2 certificate) => Certificate = certificate;

    public X509Certificate2 Certificate { get; }

    public Uri VaultUri { get; private set; } = null!;

    /// <summary>Every request: method, path, answered status and when (since the vault started).</summary>
    public IReadOnlyList<(string Method, string Path, int Status, TimeSpan At)> Requests => [.. _log];

    public int SignRequests => _log.Count(r => r.Path.EndsWith("/sign", StringComparison.Ordinal) && r.Status == 200);

    public int GetKeyRequests => _log.Count(r => r.Method == "GET" && r.Status == 200);

    public static async Task<FakeKeyVault> StartAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2));
        var certificate = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pfx), null);
        var vault = new FakeKeyVault(certificate);
        await vault.StartServerAsync().ConfigureAwait(false);
        return vault;
    }

    /// <summary>Creates a key (or a new version of it); returns the version.</summary>
    public string CreateKey(string name)
    {
        var version = Guid.NewGuid().ToString("N");
        _keys.AddOrUpdate(name, _ => [(version, ECDsa.Create(ECCurve.NamedCurves.nistP256))], (_, list) =>
        {
            list.Add((version, ECDsa.Create(ECCurve.NamedCurves.nistP256)));
            return list;
        });
        return version;
    }

    /// <summary>The next request is answered with <paramref name="status"/> (and Retry-After when given) instead.</summary>
    public void FailNext(int status, int? retryAfterSeconds = null) => _faults.Enqueue((status, retryAfterSeconds));

    /// <summary>Client options that trust this vault's certificate (and only it) and retry quickly.</summary>
    public KeyVaultClientOptions ClientOptions()
    {
        var thumbprint = Certificate.Thumbprint;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.Thumbprint == thumbprint,
        };
        var options = new KeyVaultClientOptions { Transport = new Azure.Core.Pipeline.HttpClientTransport(handler) };
        options.Retry.Delay = TimeSpan.FromMilliseconds(50);
        return options;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var key in _keys.Values.SelectMany(v => v))
        {
            key.Key.Dispose();
        }

        Certificate.Dispose();
    }

    private async Task StartServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(Certificate)));
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync().ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        VaultUri = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");
    }

    private async Task HandleAsync(HttpContext http)
    {
        var status = await AnswerAsync(http).ConfigureAwait(false);
        _log.Enqueue((http.Request.Method, http.Request.Path.Value ?? "", status, _clock.Elapsed));
    }

    private async Task<int> AnswerAsync(HttpContext http)
    {
        if (_faults.TryDequeue(out var fault))
        {
            if (fault.RetryAfterSeconds is { } seconds)
            {
                http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return await ErrorAsync(http, fault.Status, fault.Status == 429 ? "Throttled" : fault.Status == 401 ? "Unauthorized" : "InternalError", "injected by the test").ConfigureAwait(false);
        }

        if (http.Request.Headers.Authorization.ToString() != "Bearer " + Token)
        {
            return await ErrorAsync(http, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.").ConfigureAwait(false);
        }

        if (http.Request.Query["api-version"].ToString() != "7.4")
        {
            return await ErrorAsync(http, 400, "BadParameter", "The api-version must be 7.4 here.").ConfigureAwait(false);
        }

        var segments = (http.Request.Path.Value ?? "").Trim('/').Split('/');
        if (segments.Length < 2 || segments[0] != "keys" || !_keys.TryGetValue(segments[1], out var versions))
        {
            return await ErrorAsync(http, 404, "KeyNotFound", "A key with (name/id) was not found in this key vault.").ConfigureAwait(false);
        }

        (string Version, ECDsa Key) key;
        lock (versions)
        {
            key = segments.Length >= 3 ? versions.FirstOrDefault(v => v.Version == segments[2]) : versions[^1];
        }

        if (key.Key is null)
        {
            return await ErrorAsync(http, 404, "KeyNotFound", "A key with (name/id) was not found in this key vault.").ConfigureAwait(false);
        }

        var keyId = $"{VaultUri.GetLeftPart(UriPartial.Authority)}/keys/{segments[1]}/{key.Version}";
        if (http.Request.Method == "GET" && segments.Length <= 3)
        {
            var p = key.Key.ExportParameters(false);
            var body = new JsonObject
            {
                ["key"] = new JsonObject
                {
                    ["kid"] = keyId,
                    ["kty"] = "EC-HSM",
                    ["key_ops"] = new JsonArray("sign", "verify"),
                    ["crv"] = "P-256",
                    ["x"] = KeyVaultKeysClientTestAccess.Encode(p.Q.X!),
                    ["y"] = KeyVaultKeysClientTestAccess.Encode(p.Q.Y!),
                },
                ["attributes"] = new JsonObject { ["enabled"] = true },
            };
            return await JsonAsync(http, 200, body).ConfigureAwait(false);
        }

        if (http.Request.Method == "POST" && segments.Length == 4 && segments[3] == "sign")
        {
            var request = await JsonNode.ParseAsync(http.Request.Body).ConfigureAwait(false);
            if (request?["alg"]?.GetValue<string>() != "ES256")
            {
                return await ErrorAsync(http, 400, "BadParameter", "alg must be ES256 for this key.").ConfigureAwait(false);
            }

            var digest = System.Buffers.Text.Base64Url.DecodeFromChars(request["value"]!.GetValue<string>());
            var signature = key.Key.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            return await JsonAsync(http, 200, new JsonObject { ["kid"] = keyId, ["value"] = KeyVaultKeysClientTestAccess.Encode(signature) }).ConfigureAwait(false);
        }

        return await ErrorAsync(http, 405, "BadParameter", "Not part of the fake vault.").ConfigureAwait(false);
    }

    private static Task<int> ErrorAsync(HttpContext http, int status, string code, string message) =>
        JsonAsync(http, status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    private static async Task<int> JsonAsync(HttpContext http, int status, JsonObject body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString()).ConfigureAwait(false);
        return status;
    }
}

/// <summary>base64url without the client's internals.</summary>
internal static class KeyVaultKeysClientTestAccess
{
    public static string Encode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

/// <summary>A credential that hands out a fixed token and counts the requests for one.</summary>
public sealed class FixedTokenCredential(string token) : Azure.Core.TokenCredential
{
    public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(token, DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
