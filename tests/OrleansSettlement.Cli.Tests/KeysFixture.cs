using System.Text.Json.Nodes;

namespace OrleansSettlement.Cli.Tests;

/// <summary>Two key pairs made with <c>settle keygen</c>, and an object signed with the first, shared by a test class.</summary>
public sealed class KeysFixture : IAsyncLifetime
{
    public const string Purpose = "demo-acceptance";

    /// <summary>The content signed in the fixture; it uses the largest and smallest integers signed content allows.</summary>
    public const string Content = """
        {"agreementId":"Xq3f","amount":{"currency":"EUR","minor":1250},"memo":"lunch \u00e9\u20ac","max":9007199254740991,"min":-9007199254740991,"items":[1,2,3],"ok":true,"none":null}
        """;

    public TempDirectory Dir { get; } = new();

    public string AlicePrivate => Dir.File("alice.key");

    public string AlicePublic => Dir.File("alice.pub.jwk");

    public string BobPrivate => Dir.File("bob.key");

    public string BobPublic => Dir.File("bob.pub.jwk");

    public string ContentFile => Dir.File("content.json");

    public string SignedFile => Dir.File("signed.json");

    /// <summary>The stdout of <c>settle sign</c>: the signed object as canonical JSON and a newline.</summary>
    public string SignedText { get; private set; } = "";

    public JsonObject Signed => JsonNode.Parse(SignedText)!.AsObject();

    public async Task InitializeAsync()
    {
        await RunOkAsync("keygen", "--out", AlicePrivate, "--public-out", AlicePublic);
        await RunOkAsync("keygen", "--out", BobPrivate, "--public-out", BobPublic);
        await File.WriteAllTextAsync(ContentFile, Content);
        SignedText = (await RunOkAsync("sign", "--key", AlicePrivate, "--purpose", Purpose, ContentFile)).Stdout;
        await File.WriteAllTextAsync(SignedFile, SignedText);
    }

    public Task DisposeAsync()
    {
        Dir.Dispose();
        return Task.CompletedTask;
    }

    private async Task<SettleResult> RunOkAsync(params string[] args)
    {
        var result = await Settle.RunAsync(Dir.Path, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }
}
