using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using OrleansSettlement.Cli.Demo;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.KeyVault;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Banking;
using Xunit.Abstractions;

namespace OrleansSettlement.Service.Tests.Demo;

/// <summary>
/// The whole service with both demo payer banks (bank-a, bank-b) signing notes in Key Vault: the local HTTPS fake vault,
/// one key per bank. The store's bank keeps the development signer (it issues no notes in the demo).
/// </summary>
public sealed class DemoKeyVaultFixture : SigningServiceFixture
{
    public static readonly IReadOnlyList<string> VaultBanks = ["bank-a", "bank-b"];

    public FakeKeyVault Vault { get; private set; } = null!;

    public static string KeyNameOf(string bank) => bank + "-notes";

    protected override async Task BeforeStartAsync()
    {
        Vault = await FakeKeyVault.StartAsync();
        foreach (var bank in VaultBanks)
        {
            Vault.CreateKey(KeyNameOf(bank));
        }
    }

    protected override async Task AfterStopAsync() => await Vault.DisposeAsync();

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSiloSettings() =>
        VaultBanks.SelectMany(bank => new KeyValuePair<string, string?>[]
        {
            new($"{ConfiguredNoteKeySource.SectionName}:{bank}:Kind", "KeyVault"),
            new($"{ConfiguredNoteKeySource.SectionName}:{bank}:VaultUri", Vault.VaultUri.ToString()),
            new($"{ConfiguredNoteKeySource.SectionName}:{bank}:KeyName", KeyNameOf(bank)),
        });

    protected override void ConfigureSiloServices(IServiceCollection services)
    {
        services.AddSingleton<Azure.Core.TokenCredential>(new FixedTokenCredential(FakeKeyVault.Token));
        services.AddSingleton<KeyVaultClientOptions>(Vault.ClientOptions());
    }
}

/// <summary>
/// <c>settle demo</c>'s logic (<see cref="DemoSeeder"/> + <see cref="DemoRunner"/>, as <see cref="DemoRunnerTests"/> runs
/// it) against the service whose payer banks sign in the fake Key Vault: it settles, the vault signed every withdrawn
/// note and every change note, and every note the wallets received verifies with its bank's published JWKS using .NET's
/// ECDsa directly over an RFC 8785 form computed here (no project crypto or canonicalization code).
/// </summary>
public sealed class DemoKeyVaultTests(DemoKeyVaultFixture service, DemoTokensFolder folder, ITestOutputHelper output)
    : IClassFixture<DemoKeyVaultFixture>, IClassFixture<DemoTokensFolder>
{
    [Fact]
    public async Task Demo_ThreePayersTwoKeyVaultBanks_SettlesAndEveryNoteVerifiesWithThePublishedJwks()
    {
        var vault = service.Vault;
        var notes = new NoteCollector();
        using var http = new HttpClient(notes) { BaseAddress = service.Http.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var client = new SettlementClient(http);
        var path = Path.Combine(folder.Path, "demo.json");
        await new DemoSeeder(client, path).SeedAsync(service.AdminToken.Token, CancellationToken.None);
        var settings = new DemoSettings(3, 2, DemoCatalog.StoreBank, 12_000);
        var parties = await new DemoSeeder(client, path).PrepareAsync(settings.StoreBank, settings.PayerBanks, CancellationToken.None);
        var progress = new SignCounter(vault);

        var signsAtStart = vault.SignRequests;
        var report = await new DemoRunner(client, parties, progress).RunAsync(settings with { OutcomeTimeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        var signsAtEnd = vault.SignRequests;

        Assert.True(report.Outcome == DemoOutcomes.Settled, $"{report.Outcome}: {report.Problem}");
        var receipt = Assert.IsType<ReceiptInfo>(report.Receipt);
        Assert.NotNull(progress.AfterWithdrawals);
        Assert.NotNull(progress.AfterCheckout);

        // The vault signed each withdrawn note during the setup, and each change note during the checkout (and nothing else).
        var withdrawn = report.Payers.Sum(p => p.NotesMinor.Count);
        var changeNotes = receipt.Payers.Sum(p => p.ChangeNotes.Count);
        var setupSigns = progress.AfterWithdrawals!.Value - signsAtStart;
        var checkoutSigns = progress.AfterCheckout!.Value - progress.AfterWithdrawals.Value;
        var untilSettled = (progress.AtFirstS10 ?? progress.AfterCheckout.Value) - progress.AfterWithdrawals.Value;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Key Vault sign operations: setup (withdrawals) {setupSigns} for {withdrawn} notes; checkout alone (3 payers, 2 banks, after the withdrawals) {checkoutSigns} for {changeNotes} change notes ({untilSettled} before the first S10 was seen); whole run {signsAtEnd - signsAtStart}; get-key operations since the vault started {vault.GetKeyRequests}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Timings: setup {report.Timings.SetupMs} ms, checkout {report.Timings.CheckoutMs} ms, S2..S10 {report.Timings.S2ToS10Ms} ms"));
        Assert.Equal(3, changeNotes);
        Assert.Equal(withdrawn, setupSigns);
        Assert.Equal(changeNotes, checkoutSigns);
        Assert.Equal(withdrawn + changeNotes, signsAtEnd - signsAtStart);
        foreach (var bank in DemoKeyVaultFixture.VaultBanks)
        {
            Assert.Contains(vault.Requests, r => r.Path.StartsWith($"/keys/{DemoKeyVaultFixture.KeyNameOf(bank)}/", StringComparison.Ordinal) && r.Path.EndsWith("/sign", StringComparison.Ordinal) && r.Status == 200);

            // The bank's key material names the vault key and holds no private key.
            var material = await service.Grains.GetGrain<IInstitutionKeysGrain>(bank).GetKeyMaterial();
            Assert.All(material!.NoteKeys, key =>
            {
                Assert.Equal("", key.PrivateJwkJson);
                Assert.StartsWith($"{vault.VaultUri.GetLeftPart(UriPartial.Authority)}/keys/{DemoKeyVaultFixture.KeyNameOf(bank)}/", key.ExternalKeyId, StringComparison.Ordinal);
            });
        }

        // Every note the wallets received (withdrawn and change) names a kid of its bank's JWKS and verifies with that JWK.
        var seen = notes.Notes;
        var expectedSerials = report.NotesBefore.SelectMany(w => w.Notes).Select(n => n.Serial)
            .Concat(receipt.Payers.SelectMany(p => p.ChangeNotes).Select(n => n["serial"]!.GetValue<string>()))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(withdrawn + changeNotes, expectedSerials.Count);
        Assert.Superset(expectedSerials, seen.Keys.ToHashSet(StringComparer.Ordinal));
        var jwks = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        foreach (var serial in expectedSerials)
        {
            var note = seen[serial];
            var issuer = note["issuer"]!.GetValue<string>();
            Assert.Contains(issuer, DemoKeyVaultFixture.VaultBanks);
            if (!jwks.TryGetValue(issuer, out var keys))
            {
                keys = jwks[issuer] = await JwksAsync(http, issuer);
            }

            var kid = note["kid"]!.GetValue<string>();
            var jwk = Assert.Single(keys, k => k!["kid"]!.GetValue<string>() == kid)!;
            Assert.True(VerifyEs256(jwk, note), $"note {serial} of {issuer} does not verify with JWK {kid}");
            var altered = (JsonObject)note.DeepClone();
            altered["amountMinor"] = altered["amountMinor"]!.GetValue<long>() + 1;
            Assert.False(VerifyEs256(jwk, altered), "an altered note must not verify: the check is not vacuous");
        }

        output.WriteLine($"Verified {expectedSerials.Count} notes ({withdrawn} withdrawn, {changeNotes} change) against the JWKS of {string.Join(", ", jwks.Keys.Order(StringComparer.Ordinal))} with System.Security.Cryptography.ECDsa");
    }

    private static async Task<JsonArray> JwksAsync(HttpClient http, string institution)
    {
        using var response = await http.GetAsync(new Uri($"/v1/institutions/{institution}/jwks", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return document["keys"]!.AsArray();
    }

    /// <summary>ES256 with .NET's ECDsa: the JWK's x/y imported as a P-256 key, the P1363 signature over the canonical note.</summary>
    private static bool VerifyEs256(JsonNode jwk, JsonObject note)
    {
        Assert.Equal("EC", jwk["kty"]!.GetValue<string>());
        Assert.Equal("P-256", jwk["crv"]!.GetValue<string>());
        using var key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = System.Buffers.Text.Base64Url.DecodeFromChars(jwk["x"]!.GetValue<string>()),
                Y = System.Buffers.Text.Base64Url.DecodeFromChars(jwk["y"]!.GetValue<string>()),
            },
        });
        var signature = System.Buffers.Text.Base64Url.DecodeFromChars(note["sig"]!.GetValue<string>());
        return key.VerifyData(Rfc8785WithoutSig(note), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>
    /// RFC 8785 (JCS) of a note without "sig": members sorted by their names' UTF-16 code units, strings with JCS's escapes,
    /// integers in decimal. A note holds only strings and integers; anything else fails the test.
    /// </summary>
    private static byte[] Rfc8785WithoutSig(JsonObject note)
    {
        var text = new StringBuilder("{");
        var first = true;
        foreach (var (name, value) in note.Where(m => m.Key != "sig").OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            text.Append(first ? "" : ",");
            first = false;
            AppendString(text, name);
            text.Append(':');
            var scalar = Assert.IsAssignableFrom<JsonValue>(value);
            if (scalar.TryGetValue<string>(out var s))
            {
                AppendString(text, s);
            }
            else
            {
                Assert.True(scalar.TryGetValue<long>(out var number), $"note member {name} is neither a string nor an integer");
                text.Append(number.ToString(CultureInfo.InvariantCulture));
            }
        }

        return Encoding.UTF8.GetBytes(text.Append('}').ToString());
    }

    private static void AppendString(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        }

        text.Append('"');
    }

    /// <summary>The vault's sign count when the demo finished its withdrawals, first saw S10, and had the checkout's outcome.</summary>
    private sealed class SignCounter(FakeKeyVault vault) : IDemoProgress
    {
        public int? AfterWithdrawals { get; private set; }

        public int? AtFirstS10 { get; private set; }

        public int? AfterCheckout { get; private set; }

        public void Phase(string text)
        {
            if (text.StartsWith("Reading the balances before", StringComparison.Ordinal))
            {
                AfterWithdrawals ??= vault.SignRequests;
            }

            // The balances after are read once each wallet holds its change note (the runner waits for it).
            if (text.StartsWith("Reading the balances after", StringComparison.Ordinal))
            {
                AfterCheckout ??= vault.SignRequests;
            }
        }

        public void Note(string text)
        {
        }

        public void Step(DemoStep step, string detail)
        {
            if (step.Step == "S10")
            {
                AtFirstS10 ??= vault.SignRequests;
            }
        }

        public void Waiting(string text, TimeSpan waited)
        {
        }
    }

    /// <summary>Keeps every signed note (an object with serial, issuer, kid and sig) in any JSON answer of the API.</summary>
    private sealed class NoteCollector() : DelegatingHandler(new HttpClientHandler())
    {
        private readonly ConcurrentDictionary<string, JsonObject> _notes = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<string, JsonObject> Notes => _notes;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true)
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    Collect(JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)));
                }
                catch (System.Text.Json.JsonException)
                {
                    // Not a JSON document after all: no notes in it.
                }
            }

            return response;
        }

        private void Collect(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj when obj["purpose"] is JsonValue p && p.TryGetValue<string>(out var purpose) && purpose == "osettle.note.v1" && obj.ContainsKey("sig"):
                    _notes[obj["serial"]!.GetValue<string>()] = (JsonObject)obj.DeepClone();
                    break;
                case JsonObject obj:
                    foreach (var (_, child) in obj)
                    {
                        Collect(child);
                    }

                    break;
                case JsonArray array:
                    foreach (var child in array)
                    {
                        Collect(child);
                    }

                    break;
                default:
                    break;
            }
        }
    }
}
