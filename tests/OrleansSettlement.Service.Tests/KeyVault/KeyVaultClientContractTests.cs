using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Service.Tests.KeyVault;

/// <summary>The Key Vault keys client against a local HTTPS vault with real ECDSA: get key, sign, 429, 5xx, 401.</summary>
public sealed class KeyVaultClientContractTests : IAsyncLifetime
{
    private FakeKeyVault _vault = null!;

    public async Task InitializeAsync() => _vault = await FakeKeyVault.StartAsync();

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    [Fact]
    public async Task GetKeyAndSign_TheSignatureVerifiesLocallyWithTheFetchedKey()
    {
        var version = _vault.CreateKey("bank-notes");
        var client = Client();
        var signer = new KeyVaultSigner(client, "bank-notes", version);
        var digest = SHA256.HashData("note"u8);

        var key = await client.GetKeyAsync("bank-notes");
        var signature = await signer.SignDigestAsync(digest);
        await signer.SignDigestAsync(digest);

        Assert.Equal(version, key.Version);
        Assert.Equal(key.PublicKey.Thumbprint, signature.KeyId);
        Assert.Equal(64, signature.SignatureP1363.Length);
        Assert.True(Es256.VerifyDigest(await signer.GetPublicKeyAsync(), digest, signature.SignatureP1363));
        Assert.Equal(2, _vault.GetKeyRequests); // one by GetKeyAsync, one by the signer: cached for its second signature
        Assert.Equal(2, _vault.SignRequests);
    }

    [Fact]
    public async Task Throttled429_IsRetriedAfterRetryAfter()
    {
        var version = _vault.CreateKey("k");
        var signer = new KeyVaultSigner(Client(), "k", version);
        await signer.GetPublicKeyAsync();
        _vault.FailNext(429, retryAfterSeconds: 2);

        var signature = await signer.SignDigestAsync(SHA256.HashData("x"u8));

        var signs = _vault.Requests.Where(r => r.Path.EndsWith("/sign", StringComparison.Ordinal)).ToList();
        Assert.Equal([429, 200], signs.Select(r => r.Status));
        var delay = signs[1].At - signs[0].At;
        Assert.True(delay >= TimeSpan.FromSeconds(1.9), $"retried after {delay.TotalMilliseconds:F0} ms, before Retry-After: 2 s");
        Assert.True(delay < TimeSpan.FromSeconds(6), $"retried after {delay.TotalMilliseconds:F0} ms");
        Assert.NotNull(signature.KeyId);
        Console.WriteLine($"429 Retry-After 2 s: retried after {delay.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task ServerError_ThenSuccess_IsRetried()
    {
        var version = _vault.CreateKey("k");
        var signer = new KeyVaultSigner(Client(), "k", version);
        await signer.GetPublicKeyAsync();
        _vault.FailNext(503);
        _vault.FailNext(500);

        var signature = await signer.SignDigestAsync(SHA256.HashData("x"u8));

        Assert.Equal([503, 500, 200], _vault.Requests.Where(r => r.Path.EndsWith("/sign", StringComparison.Ordinal)).Select(r => r.Status));
        Assert.True(Es256.VerifyDigest(await signer.GetPublicKeyAsync(), SHA256.HashData("x"u8), signature.SignatureP1363));
    }

    [Fact]
    public async Task Unauthorized_SurfacesAsAClearErrorWithoutTheToken()
    {
        var version = _vault.CreateKey("k");
        var client = new KeyVaultKeysClient(_vault.VaultUri, new FixedTokenCredential("wrong-secret-token-value"), _vault.ClientOptions());

        var error = await Assert.ThrowsAsync<KeyVaultException>(() => client.GetKeyAsync("k", version));

        Assert.Equal(401, error.Status);
        Assert.Contains("HTTP 401", error.Message, StringComparison.Ordinal);
        Assert.Contains("credential", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret-token-value", error.Message, StringComparison.Ordinal);
        Assert.Single(_vault.Requests); // a 401 is not retried
    }

    [Fact]
    public async Task SignatureThatDoesNotVerify_IsRefused()
    {
        var first = _vault.CreateKey("k");
        var second = _vault.CreateKey("k");
        var client = Client();
        var wrong = new KeyVaultSigner(client, "k", first);
        await wrong.GetPublicKeyAsync();
        var right = await new KeyVaultSigner(client, "k", second).SignDigestAsync(SHA256.HashData("x"u8));

        Assert.False(Es256.VerifyDigest(await wrong.GetPublicKeyAsync(), SHA256.HashData("x"u8), right.SignatureP1363));
    }

    [Fact]
    public async Task EveryOperation_IsOneActivityWithItsHttpStatus_AndNoTokenInAnyTag()
    {
        var name = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var version = _vault.CreateKey(name);
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KeyVaultKeysClient.ActivitySourceName || source.Name.StartsWith("Azure.", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var client = Client();
        await client.GetKeyAsync(name);
        var signer = new KeyVaultSigner(client, name, version);
        await signer.SignDigestAsync(SHA256.HashData("a"u8)); // fetches the key version once, then signs
        await signer.SignDigestAsync(SHA256.HashData("b"u8));
        var refused = new KeyVaultKeysClient(_vault.VaultUri, new FixedTokenCredential("wrong-secret-token-value"), _vault.ClientOptions());
        await Assert.ThrowsAsync<KeyVaultException>(() => refused.GetKeyAsync(name, version));

        var ours = stopped.Where(a => a.Source.Name == KeyVaultKeysClient.ActivitySourceName && Equals(a.GetTagItem("keyvault.key.name"), name)).ToList();
        Assert.Equal(
            ["KeyVaultKeysClient.GetKey 200", "KeyVaultKeysClient.GetKey 200", "KeyVaultKeysClient.Sign 200", "KeyVaultKeysClient.Sign 200", "KeyVaultKeysClient.GetKey 401"],
            ours.Select(a => $"{a.OperationName} {a.GetTagItem("http.response.status_code")}"));
        Assert.Equal(_vault.GetKeyRequests + 1, ours.Count(a => a.OperationName == "KeyVaultKeysClient.GetKey"));
        Assert.Equal(_vault.SignRequests, ours.Count(a => a.OperationName == "KeyVaultKeysClient.Sign"));
        Assert.All(ours, a => Assert.Equal(ActivityKind.Client, a.Kind));
        Assert.All(ours.Take(4), a => Assert.Equal(ActivityStatusCode.Unset, a.Status));
        Assert.Equal(ActivityStatusCode.Error, ours[^1].Status);
        Assert.Equal(version, ours[2].GetTagItem("keyvault.key.version"));
        Assert.Equal(_vault.VaultUri.Host, ours[0].GetTagItem("server.address"));

        // Neither our activities nor Azure.Core's request activities under them carry a token, a bearer header or a digest.
        var ids = ours.Select(a => a.SpanId).ToHashSet();
        var related = stopped.Where(a => ids.Contains(a.SpanId) || ids.Contains(a.ParentSpanId)).ToList();
        foreach (var (key, value) in related.SelectMany(a => a.TagObjects))
        {
            var text = $"{key}={value}";
            Assert.DoesNotContain(FakeKeyVault.Token, text, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-secret-token-value", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Bearer", text, StringComparison.OrdinalIgnoreCase);
        }

        var http = related.Where(a => a.Source.Name == "Azure.Core.Http").ToList();
        Console.WriteLine($"Key Vault activities: {ours.Count} operations; Azure.Core.Http request activities under them: {http.Count} (0 when Azure.Core read its activity-source switch off before this client)");
    }

    private KeyVaultKeysClient Client() => new(_vault.VaultUri, new FixedTokenCredential(FakeKeyVault.Token), _vault.ClientOptions());
}
