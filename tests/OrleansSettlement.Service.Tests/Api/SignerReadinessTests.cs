using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansSettlement.Api;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Service.Tests.Infrastructure;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>
/// <c>/health/ready</c> reports the note signers (check <c>signer</c>): each bank configured to sign in Key Vault has its
/// key answer a get-key (a fake vault over HTTPS with real keys; the real API against the collection's silo). A key that
/// answered is not asked again at every probe; a vault that does not answer leaves the API ready but Degraded, naming the
/// bank; a wrong setting is Unhealthy.
/// </summary>
[Collection(Infrastructure.ServiceCollection.Name)]
public sealed class SignerReadinessTests(ServiceFixture service) : IAsyncLifetime
{
    private const string Bank = "bank-kv";
    private const string KeyName = "bank-kv-notes";

    private FakeKeyVault _vault = null!;

    public async Task InitializeAsync() => _vault = await FakeKeyVault.StartAsync();

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    [Fact]
    public async Task Ready_KeyVaultKeyAnswers_SignerHealthy_AndTheKeyIsNotFetchedAtEveryProbe()
    {
        _vault.CreateKey(KeyName);
        await using var api = await StartApiAsync(_vault.VaultUri.ToString());

        var first = await ReadyWithClusterUpAsync(api);
        var second = await ReadyAsync(api);
        var third = await ReadyAsync(api);

        foreach (var answer in new[] { first, second, third })
        {
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.Equal("Healthy", answer.Overall);
            Assert.Equal("Healthy", answer.Signer.GetProperty("status").GetString());
            Assert.Equal(1, answer.Signer.GetProperty("data").GetProperty("keyVaultKeys").GetInt32());
        }

        Assert.Equal(1, _vault.Requests.Count(request => request.Method == "GET" && request.Path.Contains(KeyName, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Ready_KeyVaultKeyMissing_SignerDegradedNamingTheBank_StillReady_ThenHealthyOnceTheKeyExists()
    {
        await using var api = await StartApiAsync(_vault.VaultUri.ToString());

        var missing = await ReadyWithClusterUpAsync(api);

        Assert.Equal(HttpStatusCode.OK, missing.Status);
        Assert.Equal("Degraded", missing.Overall);
        Assert.Equal("Degraded", missing.Signer.GetProperty("status").GetString());
        var description = missing.Signer.GetProperty("description").GetString();
        Assert.Contains(Bank, description, StringComparison.Ordinal);
        Assert.Contains("404", description, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeKeyVault.Token, missing.Body, StringComparison.Ordinal);

        _vault.CreateKey(KeyName);
        var found = await ReadyAsync(api);

        Assert.Equal(HttpStatusCode.OK, found.Status);
        Assert.Equal("Healthy", found.Signer.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_VaultUriNotHttps_SignerUnhealthyNamingTheSetting_NotReady()
    {
        await using var api = await StartApiAsync("http://vault.example/");

        var answer = await ReadyWithClusterUpAsync(api);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Equal("Unhealthy", answer.Signer.GetProperty("status").GetString());
        Assert.Contains($"Signing:Institutions:{Bank}:VaultUri", answer.Signer.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Empty(_vault.Requests);
    }

    private async Task<WebApplication> StartApiAsync(string vaultUri)
    {
        var app = ApiHost.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Storage"] = service.StorageConnectionString,
                ["Orleans:ClusterId"] = service.ClusterId,
                [$"Signing:Institutions:{Bank}:Kind"] = "KeyVault",
                [$"Signing:Institutions:{Bank}:VaultUri"] = vaultUri,
                [$"Signing:Institutions:{Bank}:KeyName"] = KeyName,
                // A bank with the development signer: nothing to reach.
                ["Signing:Institutions:bank-dev:Kind"] = "Development",
            });
            builder.Services.AddSingleton<Azure.Core.TokenCredential>(new FixedTokenCredential(FakeKeyVault.Token));
            builder.Services.AddSingleton<KeyVaultClientOptions>(_vault.ClientOptions());
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            if (!ServiceFixture.ShowLogs)
            {
                builder.Logging.ClearProviders();
            }
        });
        await app.StartAsync();
        return app;
    }

    /// <summary>The readiness answer once the API's Orleans client has connected (it connects in the background).</summary>
    private static async Task<Readiness> ReadyWithClusterUpAsync(WebApplication api)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var answer = await ReadyAsync(api);
            if (answer.Check("cluster").GetProperty("status").GetString() == "Healthy" || DateTime.UtcNow > deadline)
            {
                return answer;
            }

            await Task.Delay(200);
        }
    }

    private static async Task<Readiness> ReadyAsync(WebApplication api)
    {
        using var client = new HttpClient { BaseAddress = ServiceFixture.AddressOf(api), Timeout = TimeSpan.FromSeconds(30) };
        using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        return new Readiness(response.StatusCode, body, JsonDocument.Parse(body).RootElement.Clone());
    }

    private sealed record Readiness(HttpStatusCode Status, string Body, JsonElement Json)
    {
        public string? Overall => Json.GetProperty("status").GetString();

        public JsonElement Signer => Check("signer");

        public JsonElement Check(string name) =>
            Json.GetProperty("checks").EnumerateArray().Single(check => check.GetProperty("name").GetString() == name);
    }
}
