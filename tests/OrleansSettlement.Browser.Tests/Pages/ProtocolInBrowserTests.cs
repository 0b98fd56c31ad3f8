using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Http;
using OrleansSettlement.Protocol.Signing;
using OrleansSettlement.Service.Tests.Api;

namespace OrleansSettlement.Browser.Tests.Pages;

/// <summary>
/// The pages' JavaScript protocol code (wwwroot/js/lib.js) in chromium, checked against the C# protocol library: RFC
/// 8785 on the RFC's own vectors and on the worked examples, ES256 signed objects and RFC 9421 request signatures that
/// the server's code verifies, and a wallet key whose private part cannot be exported.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ProtocolInBrowserTests(ApiFixture api, Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task Jcs_RfcVectorsAndTheWorkedExamples_SameBytesAsTheProtocolLibrary()
    {
        var page = await OpenAsync("/");
        var folder = Path.Combine(SharedVectors(), "jcs");
        var inputs = Directory.GetFiles(Path.Combine(folder, "input"), "*.json");
        Assert.NotEmpty(inputs);
        foreach (var input in inputs)
        {
            var expected = await File.ReadAllTextAsync(Path.Combine(folder, "output", Path.GetFileName(input)));
            var actual = await CanonicalizeAsync(page, await File.ReadAllTextAsync(input));
            Assert.True(expected.TrimEnd('\n') == actual, $"{Path.GetFileName(input)}: {actual}");
        }

        foreach (var message in Messages())
        {
            var content = message["content"]!.ToJsonString();
            var inBrowser = await CanonicalizeAsync(page, content);
            Assert.Equal((string?)message["canonical"], inBrowser);
            Assert.Equal(Encoding.UTF8.GetString(Jcs.Canonicalize(JsonNode.Parse(content))), inBrowser);
        }
    }

    [Fact]
    public async Task SignedObjectsAndRequestSignatures_MadeInTheBrowser_VerifyWithTheServersCode()
    {
        var page = await OpenAsync("/");
        var alice = (JsonObject)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(VectorsFolder(), "keys.json")))!["payer-alice"]!;
        using var signer = LocalSigner.FromPrivateJwk(alice).Value;
        var acceptance = Messages().Single(m => (string?)m["name"] == "acceptance-alice")["content"]!.AsObject();
        var content = (JsonObject)acceptance.DeepClone();
        content.Remove("sig");

        var signed = await page.EvaluateAsync<string>(
            """
            async ([jwk, content]) => {
              const lib = await import("/js/lib.js");
              const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
              return JSON.stringify(await lib.signObject(JSON.parse(content), key));
            }
            """, new object[] { JsonSerializerJwk(alice), content.ToJsonString() });
        Assert.Null(SignedObject.Verify((JsonObject)JsonNode.Parse(signed)!, signer.PublicKey, "osettle.acceptance.v1"));

        // RFC 9421: the same created and nonce give the same Signature-Input as the SDK's, and the signature verifies.
        const string Uri = "http://127.0.0.1:5080/v1/wallets/x/withdrawals";
        const string Body = "{\"denominationsMinor\":[5000]}";
        const long Created = 1_790_000_000;
        const string Nonce = "bm9uY2Utbm9uY2Utbm9uY2U";
        var headers = await page.EvaluateAsync<Dictionary<string, string>>(
            """
            async ([jwk, uri, body, created, nonce]) => {
              const lib = await import("/js/lib.js");
              const privateKey = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
              const walletId = await lib.thumbprint(jwk);
              return await lib.signatureHeaders({ privateKey, walletId }, "POST", uri, new TextEncoder().encode(body), "key-1", created, nonce);
            }
            """, new object[] { JsonSerializerJwk(alice), Uri, Body, Created, Nonce });
        var parts = new SignedRequestParts("POST", Uri, HttpSignatures.ContentDigest(Encoding.UTF8.GetBytes(Body)), "key-1");
        var (sdkInput, _) = await HttpSignatures.SignAsync(parts, signer, DateTimeOffset.FromUnixTimeSeconds(Created), Nonce);
        Assert.Equal(sdkInput, headers["Signature-Input"]);
        Assert.Equal(parts.ContentDigest, headers["Content-Digest"]);
        var parameters = HttpSignatures.ParseInput(headers["Signature-Input"]).Value;
        Assert.Null(HttpSignatures.Verify(parts, parameters, headers["Signature"], signer.PublicKey, DateTimeOffset.FromUnixTimeSeconds(Created)));
    }

    [Fact]
    public async Task WalletKey_MadeNonExtractableAndKeptInIndexedDb()
    {
        var page = await OpenAsync("/wallet/#w=keytest");
        await Assertions.Expect(page.Locator("#wallet-id")).Not.ToBeEmptyAsync();
        var shown = await page.Locator("#wallet-id").TextContentAsync();

        var key = await page.EvaluateAsync<Dictionary<string, string>>(
            """
            async () => {
              const lib = await import("/js/lib.js");
              const key = await lib.walletKey("keytest");
              let exported = true;
              try { await crypto.subtle.exportKey("pkcs8", key.privateKey); } catch { exported = false; }
              return { extractable: String(key.privateKey.extractable), exported: String(exported), walletId: key.walletId, type: key.privateKey.type };
            }
            """);
        Assert.Equal("false", key["extractable"]);
        Assert.Equal("false", key["exported"]);
        Assert.Equal("private", key["type"]);
        Assert.Equal(shown, key["walletId"]);

        // Kept: a reload finds the same key in IndexedDB.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#wallet-id")).ToHaveTextAsync(shown!);
    }

    private static Dictionary<string, string> JsonSerializerJwk(JsonObject jwk) =>
        new() { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = (string)jwk["x"]!, ["y"] = (string)jwk["y"]!, ["d"] = (string)jwk["d"]! };

    private static Task<string> CanonicalizeAsync(IPage page, string json) =>
        page.EvaluateAsync<string>("async (text) => (await import('/js/lib.js')).canonicalize(JSON.parse(text))", json);

    private static IEnumerable<JsonObject> Messages() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(VectorsFolder(), "messages.json")))!.AsArray().Select(m => m!.AsObject());

    private async Task<IPage> OpenAsync(string path)
    {
        var context = await chromium.Browser.NewContextAsync(new() { BaseURL = api.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync(path);
        return page;
    }

    /// <summary>tests/vectors of the repository (the worked examples of docs/protocol.md).</summary>
    private static string VectorsFolder() => Path.Combine(Ancestor("tests/vectors/messages.json"), "tests", "vectors");

    /// <summary>The shared RFC 8785 vectors: the first ancestor holding shared/vectors (as the protocol tests find them).</summary>
    private static string SharedVectors() => Path.Combine(Ancestor("shared/vectors/jcs"), "shared", "vectors");

    private static string Ancestor(string holding)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Path.Exists(Path.Combine(dir.FullName, holding)))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no {holding} above {AppContext.BaseDirectory}");
    }
}
