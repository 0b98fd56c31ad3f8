using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Protocol.Tests;

/// <summary>
/// The worked examples of docs/protocol.md, kept in tests/vectors: each message's content canonicalizes to
/// exactly the documented bytes, has the documented id, parses, and carries a signature that verifies with the
/// documented public key. The document itself must quote every canonical form and signature.
/// </summary>
public class MessagesVectorTests
{
    private static readonly string RepoRoot = FindRepoRoot();

    public static TheoryData<string> VectorNames()
    {
        var data = new TheoryData<string>();
        foreach (var vector in LoadVectors())
        {
            data.Add(vector["name"]!.GetValue<string>());
        }

        return data;
    }

    [Fact]
    public void Vectors_CoverEveryMessageType()
    {
        var purposes = LoadVectors().Select(v => v["purpose"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(Purposes.All.Order(StringComparer.Ordinal), purposes.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Vector_CanonicalFormIdAndSignature_AreAsDocumented(string name)
    {
        var vector = LoadVectors().Single(v => v["name"]!.GetValue<string>() == name);
        var content = vector["content"]!.AsObject();
        var canonical = vector["canonical"]!.GetValue<string>();
        Assert.Equal(canonical, Jcs.CanonicalizeToString(content));
        Assert.Equal(vector["contentId"]!.GetValue<string>(), Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes(canonical)));
        Assert.Equal(vector["contentId"]!.GetValue<string>(), SignedObject.ContentId(content).Value);

        var purpose = vector["purpose"]!.GetValue<string>();
        var message = (vector["signed"] ?? content).AsObject();
        var parsed = Parse(purpose, message.DeepClone());
        Assert.True(parsed is null, parsed?.ToString());

        var doc = File.ReadAllText(Path.Combine(RepoRoot, "docs", "protocol.md"));
        Assert.Contains(canonical, doc, StringComparison.Ordinal);
        if (vector["signer"]?.GetValue<string>() is { } signer)
        {
            using var signingKey = LocalSigner.FromPrivateJwk(LoadKeys()[signer]!.ToJsonString()).Value;
            var key = signingKey.PublicKey;
            Assert.Equal(canonical, System.Text.Encoding.UTF8.GetString(SignedObject.SigningInput(message).Value));
            Assert.Null(SignedObject.Verify(message, key, purpose));
            Assert.Contains(message["sig"]!.GetValue<string>(), doc, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Keys_DocumentedThumbprints_MatchTheKeys()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot, "docs", "protocol.md"));
        foreach (var (name, jwk) in LoadKeys())
        {
            var signer = LocalSigner.FromPrivateJwk(jwk!.ToJsonString()).Value;
            Assert.Equal(jwk["kid"]!.GetValue<string>(), signer.PublicKey.Thumbprint);
            Assert.Contains(signer.PublicKey.Thumbprint, doc, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(name));
        }
    }

    [Fact]
    public void ProblemCodes_AreAllDocumented()
    {
        var doc = File.ReadAllText(Path.Combine(RepoRoot, "docs", "protocol.md"));
        var missing = Enum.GetValues<ProtocolErrorCode>().Select(ProtocolError.ToWireCode).Where(code => !doc.Contains($"| `{code}` |", StringComparison.Ordinal)).ToList();
        Assert.Empty(missing);
    }

    private static ProtocolError? Parse(string purpose, JsonNode node) => purpose switch
    {
        Purposes.Agreement => Agreement.Parse(node).Error,
        Purposes.Acceptance => Acceptance.Parse(node).Error,
        Purposes.Note => Note.Parse(node).Error,
        Purposes.Request => RequestInfo.Parse(node).Error,
        Purposes.Challenge => Challenge.Parse(node).Error,
        Purposes.Response => Response.Parse(node).Error,
        Purposes.VerificationResult => VerificationResult.Parse(node).Error,
        _ => new ProtocolError(ProtocolErrorCode.WrongPurpose, purpose),
    };

    private static List<JsonObject> LoadVectors() =>
        [.. JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot, "tests", "vectors", "messages.json")))!.AsArray().Select(n => n!.AsObject())];

    private static JsonObject LoadKeys() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot, "tests", "vectors", "keys.json")))!.AsObject();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansSettlement.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("OrleansSettlement.sln not found above " + AppContext.BaseDirectory);
    }
}
