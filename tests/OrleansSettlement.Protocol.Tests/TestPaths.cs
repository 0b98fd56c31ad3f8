namespace OrleansSettlement.Protocol.Tests;

/// <summary>Where the test data lives: the shared public vectors beside the repository, and this project's own data.</summary>
internal static class TestPaths
{
    /// <summary>Set to a <c>vectors</c> folder to override the search.</summary>
    public const string VectorsVariable = "ORLEANS_SETTLEMENT_VECTORS";

    private static readonly Lazy<string> Vectors = new(FindVectors);

    /// <summary>
    /// The shared <c>vectors</c> folder: the first ancestor of the test binaries that holds
    /// <c>shared/vectors</c> (the repository's parent in this layout, <c>$d/r</c> next to <c>$d/shared</c> in CI).
    /// </summary>
    public static string SharedVectors => Vectors.Value;

    public static string TestData => Path.Combine(AppContext.BaseDirectory, "TestData");

    private static string FindVectors()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(VectorsVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment)
                ? fromEnvironment
                : throw new DirectoryNotFoundException($"{VectorsVariable}={fromEnvironment} is not a folder");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "vectors");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"no shared/vectors folder above {AppContext.BaseDirectory}; clone the repository next to 'shared' or set {VectorsVariable}");
    }
}
