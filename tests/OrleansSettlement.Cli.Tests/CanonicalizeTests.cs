using System.Text;

namespace OrleansSettlement.Cli.Tests;

public sealed class CanonicalizeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> JcsVectors => new() { "arrays", "french", "structures", "unicode", "values", "weird" };

    public static TheoryData<string, string, string> RefusedInputs => new()
    {
        // name, file content, text the one-line reason must contain
        { "not-json", "this is not JSON", "malformed_json" },
        { "truncated", "{\"a\":", "malformed_json" },
        { "duplicate-member", "{\"a\":1,\"a\":2}", "duplicate_member" },
        { "lone-surrogate", "{\"a\":\"\\ud800\"}", "surrogate" },
    };

    [Theory]
    [MemberData(nameof(JcsVectors))]
    public async Task Canonicalize_JcsVector_IsByteIdentical(string vector)
    {
        var result = await Settle.RunAsync(_dir.Path, "canonicalize", Vectors.JcsInput(vector));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(await File.ReadAllBytesAsync(Vectors.JcsOutput(vector)), result.StdoutBytes);
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task Canonicalize_StandardInput_SameBytesAsFile()
    {
        var input = await File.ReadAllBytesAsync(Vectors.JcsInput("values"));

        var result = await Settle.RunAsync(_dir.Path, input, "canonicalize", "-");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(await File.ReadAllBytesAsync(Vectors.JcsOutput("values")), result.StdoutBytes);
    }

    [Fact]
    public async Task Canonicalize_Output_HasNoTrailingNewline()
    {
        var file = _dir.Write("in.json", "{ \"b\" : [ 1 , 2 ] , \"a\" : \"x\" }\n");

        var result = await Settle.RunAsync(_dir.Path, "canonicalize", file);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Encoding.UTF8.GetBytes("{\"a\":\"x\",\"b\":[1,2]}"), result.StdoutBytes);
    }

    [Theory]
    [MemberData(nameof(RefusedInputs))]
    public async Task Canonicalize_RefusedInput_Exits2WithOneLineReason(string name, string content, string reason)
    {
        var file = _dir.Write(name + ".json", content);

        var result = await Settle.RunAsync(_dir.Path, "canonicalize", file);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.StdoutBytes);
        Assertions.OneLineReason(result, file, reason);
    }

    [Fact]
    public async Task Canonicalize_MissingFile_Exits2()
    {
        var result = await Settle.RunAsync(_dir.Path, "canonicalize", "no-such-file.json");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, "no-such-file.json", "no such file");
    }

    [Fact]
    public async Task Canonicalize_Directory_Exits2()
    {
        var result = await Settle.RunAsync(_dir.Path, "canonicalize", _dir.Path);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assertions.OneLineReason(result, _dir.Path, "directory");
    }

    public void Dispose() => _dir.Dispose();
}
