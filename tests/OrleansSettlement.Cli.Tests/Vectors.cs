namespace OrleansSettlement.Cli.Tests;

/// <summary>
/// Finds the shared test vectors: the first <c>shared/vectors</c> folder found walking up from the
/// test assembly (CI places <c>shared/</c> beside the repository clone).
/// </summary>
internal static class Vectors
{
    private static readonly Lazy<string> Root = new(Find);

    public static string JcsInput(string name) => Path.Combine(Root.Value, "jcs", "input", name + ".json");

    public static string JcsOutput(string name) => Path.Combine(Root.Value, "jcs", "output", name + ".json");

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "vectors");
            if (Directory.Exists(Path.Combine(candidate, "jcs")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"no shared/vectors/jcs folder above {AppContext.BaseDirectory}");
    }
}
