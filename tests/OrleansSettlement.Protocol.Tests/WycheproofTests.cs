using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Protocol.Tests;

/// <summary>
/// Project Wycheproof ECDSA P-256 / SHA-256 verification vectors: every case gets the file's verdict.
/// "valid" must verify and "invalid" must not. "acceptable" (none in these files today) is treated
/// as must-reject: the verifier is strict, so a case Wycheproof merely tolerates is refused.
/// </summary>
public class WycheproofTests
{
    private const string P1363File = "ecdsa_secp256r1_sha256_p1363_test.json";
    private const string DerFile = "ecdsa_secp256r1_sha256_test.json";

    private static readonly Lazy<VectorFile> P1363 = new(() => Load(P1363File));
    private static readonly Lazy<VectorFile> Der = new(() => Load(DerFile));

    public static TheoryData<int, string, string> P1363Cases() => Rows(P1363.Value);

    public static TheoryData<int, string, string> DerCases() => Rows(Der.Value);

    [Theory]
    [MemberData(nameof(P1363Cases))]
    public void Verify_WycheproofP1363Case_GivesFileVerdict(int tcId, string result, string comment)
    {
        var vector = P1363.Value.Cases[tcId];

        var verified = Es256.Verify(vector.Key, vector.Message, vector.Signature);

        Assert.True(ExpectVerifies(result) == verified, $"tcId {tcId} ({comment}, flags {string.Join(",", vector.Flags)}): expected {result}, verify returned {verified}");
    }

    [Theory]
    [MemberData(nameof(DerCases))]
    public void Verify_WycheproofDerCaseConvertedToP1363_GivesFileVerdict(int tcId, string result, string comment)
    {
        var vector = Der.Value.Cases[tcId];

        // A strict DER reader stands in for the encoding step: any BER laxity makes the case fail to convert.
        var p1363 = StrictDer.ToP1363(vector.Signature);
        var verified = p1363 is not null && Es256.Verify(vector.Key, vector.Message, p1363);

        Assert.True(ExpectVerifies(result) == verified, $"tcId {tcId} ({comment}, flags {string.Join(",", vector.Flags)}): expected {result}, verify returned {verified}");
    }

    [Theory]
    [InlineData(P1363File, 262)]
    [InlineData(DerFile, 484)]
    public void Load_WycheproofFile_ReadsEveryCase(string file, int atLeast)
    {
        var vectors = file == P1363File ? P1363.Value : Der.Value;

        Assert.Equal(vectors.NumberOfTests, vectors.Cases.Count);
        Assert.True(vectors.Cases.Count >= atLeast, $"{file}: {vectors.Cases.Count} cases");
        Assert.Contains(vectors.Cases.Values, c => c.Result == "valid");
        Assert.Contains(vectors.Cases.Values, c => c.Result == "invalid");
    }

    [Fact]
    public void VerifyDigest_WycheproofP1363Cases_AgreesWithVerify()
    {
        foreach (var vector in P1363.Value.Cases.Values)
        {
            var digest = System.Security.Cryptography.SHA256.HashData(vector.Message);
            Assert.Equal(Es256.Verify(vector.Key, vector.Message, vector.Signature), Es256.VerifyDigest(vector.Key, digest, vector.Signature));
        }
    }

    [Fact]
    public void Parse_WycheproofJwkWithoutKid_IsTheGroupKey()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.SharedVectors, "wycheproof", P1363File)));
        var checkedGroups = 0;
        foreach (var group in document.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            if (!group.TryGetProperty("publicKeyJwk", out var jwkElement))
            {
                continue;
            }

            var jwk = JsonNode.Parse(jwkElement.GetRawText())!.AsObject();
            jwk.Remove("kid"); // the file's kid is "none", not the RFC 7638 thumbprint
            var parsed = PublicJwk.Parse(jwk);

            Assert.True(parsed.IsOk, parsed.Error?.ToString());
            Assert.Equal(KeyFromHex(group.GetProperty("publicKey")), parsed.Value);
            checkedGroups++;
        }

        Assert.True(checkedGroups > 0);
    }

    private static bool ExpectVerifies(string result) => result switch
    {
        "valid" => true,
        "invalid" => false,
        "acceptable" => false, // strict: what Wycheproof only tolerates is refused
        _ => throw new InvalidDataException($"unknown Wycheproof result {result}"),
    };

    private static TheoryData<int, string, string> Rows(VectorFile file)
    {
        var data = new TheoryData<int, string, string>();
        foreach (var vector in file.Cases.Values.OrderBy(c => c.TcId))
        {
            data.Add(vector.TcId, vector.Result, vector.Comment);
        }

        return data;
    }

    private static VectorFile Load(string name)
    {
        var path = Path.Combine(TestPaths.SharedVectors, "wycheproof", name);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var cases = new Dictionary<int, Vector>();
        foreach (var group in root.GetProperty("testGroups").EnumerateArray())
        {
            var key = KeyFromHex(group.GetProperty("publicKey"));
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                var vector = new Vector(
                    test.GetProperty("tcId").GetInt32(),
                    key,
                    Convert.FromHexString(test.GetProperty("msg").GetString()!),
                    Convert.FromHexString(test.GetProperty("sig").GetString()!),
                    test.GetProperty("result").GetString()!,
                    test.GetProperty("comment").GetString()!,
                    [.. test.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!)]);
                cases.Add(vector.TcId, vector);
            }
        }

        return new VectorFile(root.GetProperty("numberOfTests").GetInt32(), cases);
    }

    /// <summary>The group key from its hex coordinates (wx/wy carry a sign byte or drop leading zeros).</summary>
    private static PublicJwk KeyFromHex(JsonElement publicKey)
    {
        var x = Fixed32(Convert.FromHexString(publicKey.GetProperty("wx").GetString()!));
        var y = Fixed32(Convert.FromHexString(publicKey.GetProperty("wy").GetString()!));
        var key = PublicJwk.FromCoordinates(x, y);
        Assert.True(key.IsOk, key.Error?.ToString());
        return key.Value;
    }

    private static byte[] Fixed32(byte[] value)
    {
        var trimmed = value.AsSpan().TrimStart((byte)0);
        Assert.True(trimmed.Length <= 32);
        var result = new byte[32];
        trimmed.CopyTo(result.AsSpan(32 - trimmed.Length));
        return result;
    }

    private sealed record Vector(int TcId, PublicJwk Key, byte[] Message, byte[] Signature, string Result, string Comment, string[] Flags);

    private sealed record VectorFile(int NumberOfTests, Dictionary<int, Vector> Cases);

    /// <summary>Strict DER ECDSA-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) to 64-byte P1363; null for anything not minimal DER.</summary>
    private static class StrictDer
    {
        public static byte[]? ToP1363(byte[] der)
        {
            var pos = 0;
            if (!ReadTag(der, ref pos, 0x30) || !ReadLength(der, ref pos, out var length) || pos + length != der.Length)
            {
                return null;
            }

            var result = new byte[64];
            if (!ReadInteger(der, ref pos, result.AsSpan(0, 32)) || !ReadInteger(der, ref pos, result.AsSpan(32, 32)) || pos != der.Length)
            {
                return null;
            }

            return result;
        }

        private static bool ReadTag(byte[] der, ref int pos, byte tag)
        {
            if (pos >= der.Length || der[pos] != tag)
            {
                return false;
            }

            pos++;
            return true;
        }

        private static bool ReadLength(byte[] der, ref int pos, out int length)
        {
            length = 0;
            if (pos >= der.Length)
            {
                return false;
            }

            var first = der[pos++];
            if (first < 0x80)
            {
                length = first;
                return true;
            }

            var count = first & 0x7F;
            if (count is 0 or > 2 || pos + count > der.Length || der[pos] == 0)
            {
                return false;
            }

            for (var i = 0; i < count; i++)
            {
                length = (length << 8) | der[pos++];
            }

            return length >= 0x80; // long form only when the short one cannot hold it
        }

        private static bool ReadInteger(byte[] der, ref int pos, Span<byte> output)
        {
            if (!ReadTag(der, ref pos, 0x02) || !ReadLength(der, ref pos, out var length) || length == 0 || pos + length > der.Length)
            {
                return false;
            }

            var content = der.AsSpan(pos, length);
            pos += length;
            if ((content[0] & 0x80) != 0)
            {
                return false; // negative
            }

            if (content[0] == 0)
            {
                if (content.Length > 1 && (content[1] & 0x80) == 0)
                {
                    return false; // not minimal
                }

                content = content[1..];
            }

            if (content.Length > output.Length)
            {
                return false;
            }

            content.CopyTo(output[(output.Length - content.Length)..]);
            return true;
        }
    }
}
