using OrleansSettlement.Protocol.Canonical;

namespace OrleansSettlement.Protocol.Tests;

/// <summary>RFC 8785's own test data (cyberphone/json-canonicalization testdata): input/X.json canonicalizes to output/X.json.</summary>
public class JcsVectorTests
{
    private static string JcsFolder => Path.Combine(TestPaths.SharedVectors, "jcs");

    private static List<string> CaseNames() =>
        [.. Directory.GetFiles(Path.Combine(JcsFolder, "input"), "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal)];

    public static TheoryData<string> Cases() => [.. CaseNames()];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Canonicalize_Rfc8785Vector_MatchesExpectedBytes(string name)
    {
        var input = File.ReadAllBytes(Path.Combine(JcsFolder, "input", name + ".json"));
        var expected = File.ReadAllBytes(Path.Combine(JcsFolder, "output", name + ".json"));
        var expectedHex = Convert.FromHexString(string.Concat(
            File.ReadAllText(Path.Combine(JcsFolder, "outhex", name + ".txt")).Where(char.IsAsciiHexDigit)));

        var result = Jcs.Canonicalize(input);

        Assert.True(result.IsOk, result.Error?.ToString());
        Assert.Equal(expected, result.Value);
        Assert.Equal(expectedHex, result.Value);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Canonicalize_Rfc8785VectorThroughTree_MatchesExpectedBytes(string name)
    {
        var input = File.ReadAllText(Path.Combine(JcsFolder, "input", name + ".json"), System.Text.Encoding.UTF8);
        var expected = File.ReadAllBytes(Path.Combine(JcsFolder, "output", name + ".json"));

        var tree = System.Text.Json.Nodes.JsonNode.Parse(input);

        Assert.Equal(expected, Jcs.Canonicalize(tree));
    }

    [Fact]
    public void Cases_FindsEveryVectorFile()
    {
        var names = CaseNames();

        Assert.True(names.Count >= 6, $"expected at least 6 RFC 8785 vectors in {JcsFolder}, found {names.Count}");
        foreach (var name in names)
        {
            Assert.True(File.Exists(Path.Combine(JcsFolder, "output", name + ".json")), $"output/{name}.json is missing");
            Assert.True(File.Exists(Path.Combine(JcsFolder, "outhex", name + ".txt")), $"outhex/{name}.txt is missing");
        }
    }
}
