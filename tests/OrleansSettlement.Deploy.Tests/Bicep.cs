using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace OrleansSettlement.Deploy.Tests;

/// <summary>
/// Runs the Bicep CLI of the NuGet package Azure.Bicep.CommandLine.linux-x64 (the path its props file gives, passed in as
/// assembly metadata). Every run works offline: build, lint, build-params and snapshot need no Azure account.
/// </summary>
internal static class Bicep
{
    /// <summary>A stand-in for the admin token hash the parameter files read from the environment (43 characters, like a real one).</summary>
    public const string AdminTokenSha256 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    private static readonly Lazy<string> Executable = new(FindExecutable);

    /// <summary>The result of one run: exit code, standard output and standard error.</summary>
    public sealed record Run(int ExitCode, string Output, string Error);

    /// <summary>Runs <c>bicep</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    public static Run Execute(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable.Value)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The parameter files read the admin token hash from the deploying shell; a stand-in lets them compile.
        start.Environment["OSETTLE_ADMIN_TOKEN_SHA256"] = AdminTokenSha256;
        // No telemetry, no update checks: the CLI stays offline.
        start.Environment["BICEP_TRACING_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bicep did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within 3 minutes.");
        }

        return new Run(process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    /// <summary>
    /// The resources a deployment of <paramref name="parameterFile"/> (relative to deploy/bicep) would create, as
    /// <c>bicep snapshot</c> predicts them with parameters, variables, loops and module inputs evaluated (values only known
    /// at deployment time stay as <c>[reference(...)]</c> expressions). Runs on a copy, so the repository stays clean.
    /// </summary>
    public static JsonObject Snapshot(string parameterFile)
    {
        var copy = Directory.CreateTempSubdirectory("osettle-bicep-");
        try
        {
            CopyDirectory(Paths.BicepDirectory, copy.FullName);
            var run = Execute(
                copy.FullName,
                "snapshot",
                parameterFile,
                "--subscription-id", "00000000-0000-0000-0000-000000000000",
                "--tenant-id", "00000000-0000-0000-0000-000000000001",
                "--resource-group", "rg-osettle",
                "--location", "westeurope");
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"bicep snapshot {parameterFile} failed ({run.ExitCode}): {run.Error}{run.Output}");
            }

            var snapshotFile = Path.ChangeExtension(Path.Combine(copy.FullName, parameterFile), ".snapshot.json");
            return JsonNode.Parse(File.ReadAllText(snapshotFile))!.AsObject();
        }
        finally
        {
            copy.Delete(recursive: true);
        }
    }

    /// <summary>The parameter values of <paramref name="parameterFile"/> (relative to deploy/bicep), as <c>bicep build-params</c> gives them.</summary>
    public static JsonObject Parameters(string parameterFile)
    {
        var run = Execute(Paths.BicepDirectory, "build-params", parameterFile, "--stdout");
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build-params {parameterFile} failed ({run.ExitCode}): {run.Error}");
        }

        var parameters = JsonNode.Parse(JsonNode.Parse(run.Output)!["parametersJson"]!.GetValue<string>())!["parameters"]!.AsObject();
        return parameters;
    }

    private static string FindExecutable()
    {
        var configured = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == "BicepPath").Value
            ?? throw new InvalidOperationException("The BicepPath metadata is empty: is Azure.Bicep.CommandLine.linux-x64 restored?");
        // The package's props file writes the path with Windows separators.
        var path = Path.GetFullPath(OperatingSystem.IsWindows() ? configured : configured.Replace('\\', '/'));
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"The Bicep CLI is not at {path}.");
        }

        // NuGet does not keep the executable bit when it extracts a package.
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return path;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}

/// <summary>Where the repository and its deployment templates are.</summary>
internal static class Paths
{
    public static string Repository { get; } = Find();

    public static string BicepDirectory => Path.Combine(Repository, "deploy", "bicep");

    /// <summary>Every .bicep and .bicepparam file under deploy/bicep, relative to it, with '/' separators.</summary>
    public static IReadOnlyList<string> BicepFiles() =>
        [.. Directory.GetFiles(BicepDirectory, "*.bicep*", SearchOption.AllDirectories)
            .Where(file => file.EndsWith(".bicep", StringComparison.Ordinal) || file.EndsWith(".bicepparam", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(BicepDirectory, file).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrleansSettlement.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"OrleansSettlement.sln not found above {AppContext.BaseDirectory}.");
    }
}
