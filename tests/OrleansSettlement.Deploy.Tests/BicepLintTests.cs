using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Deploy.Tests;

/// <summary>
/// CI for the templates: every .bicep and .bicepparam file under deploy/bicep builds and lints with no error and no
/// warning under deploy/bicep/bicepconfig.json. <c>bicep lint</c> exits 0 on warnings, so its SARIF output is read
/// (one SARIF document per file linted). One CLI run per check: each run costs a second or two of start-up.
/// </summary>
public sealed class BicepLintTests
{
    [Fact]
    public void Templates_AreFound_MainModulesAndOneParameterFilePerEnvironment()
    {
        var files = Paths.BicepFiles();

        Assert.Contains("main.bicep", files);
        Assert.Contains("env/dev.bicepparam", files);
        Assert.Contains("env/prod.bicepparam", files);
        Assert.True(files.Count(file => file.StartsWith("modules/", StringComparison.Ordinal)) >= 7, string.Join(", ", files));
    }

    [Fact]
    public void Lint_EveryFile_ReportsNothing()
    {
        var run = Bicep.Execute(Paths.BicepDirectory, "lint", "--pattern", "**/*.bicep*", "--diagnostics-format", "sarif");

        Assert.True(run.ExitCode == 0, $"bicep lint exited {run.ExitCode}: {run.Error}{run.Output}");
        var documents = SarifDocuments(run.Output);
        Assert.Equal(Paths.BicepFiles().Count, documents.Count);
        var results = documents
            .SelectMany(document => document["runs"]!.AsArray())
            .SelectMany(sarifRun => sarifRun!["results"]!.AsArray())
            .Select(Describe)
            .ToList();
        Assert.True(results.Count == 0, "bicep lint:\n" + string.Join('\n', results));
    }

    [Theory]
    [InlineData("build", "**/*.bicep", ".bicep")]
    [InlineData("build-params", "**/*.bicepparam", ".bicepparam")]
    public void Build_EveryFile_SucceedsWithoutDiagnostics(string command, string pattern, string extension)
    {
        var output = Directory.CreateTempSubdirectory("osettle-build-");
        try
        {
            var run = Bicep.Execute(Paths.BicepDirectory, command, "--pattern", pattern, "--outdir", output.FullName);

            Assert.True(run.ExitCode == 0, $"bicep {command} exited {run.ExitCode}: {run.Error}");
            Assert.True(run.Error.Trim().Length == 0 && run.Output.Trim().Length == 0, $"bicep {command} reported:\n{run.Error}{run.Output}");
            // The output keeps each file's folder: modules/storage.bicep gives modules/storage.json.
            var expected = Paths.BicepFiles().Where(file => file.EndsWith(extension, StringComparison.Ordinal))
                .Select(file => Path.ChangeExtension(file, ".json"))
                .Order(StringComparer.Ordinal);
            var built = output.GetFiles("*.json", SearchOption.AllDirectories)
                .Select(file => Path.GetRelativePath(output.FullName, file.FullName).Replace('\\', '/'))
                .Order(StringComparer.Ordinal);
            Assert.Equal(expected, built);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public void Lint_ReportsAWarning_WhenATemplateHasOne()
    {
        // The check above is only worth something if a warning does show up in the SARIF output it reads.
        var directory = Directory.CreateTempSubdirectory("osettle-lint-");
        try
        {
            File.Copy(Path.Combine(Paths.BicepDirectory, "bicepconfig.json"), Path.Combine(directory.FullName, "bicepconfig.json"));
            File.WriteAllText(Path.Combine(directory.FullName, "clean.bicep"), "param used string\noutput echoed string = used\n");
            File.WriteAllText(Path.Combine(directory.FullName, "unused.bicep"), "param unused string\n");

            var run = Bicep.Execute(directory.FullName, "lint", "--pattern", "*.bicep", "--diagnostics-format", "sarif");

            Assert.Equal(0, run.ExitCode);
            var documents = SarifDocuments(run.Output);
            Assert.Equal(2, documents.Count);
            var results = documents.SelectMany(document => document["runs"]![0]!["results"]!.AsArray()).ToList();
            Assert.Equal("no-unused-params", Assert.Single(results)!["ruleId"]!.GetValue<string>());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>The SARIF documents of a run that linted several files: one JSON value after another.</summary>
    private static List<JsonObject> SarifDocuments(string output)
    {
        var documents = new List<JsonObject>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(output), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            documents.Add(JsonNode.Parse(ref reader)!.AsObject());
        }

        return documents;
    }

    private static string Describe(JsonNode? result) =>
        $"{result!["locations"]?[0]?["physicalLocation"]?["artifactLocation"]?["uri"]}:{result["locations"]?[0]?["physicalLocation"]?["region"]?["startLine"]} {result["ruleId"]}: {result["message"]?["text"]}";
}
