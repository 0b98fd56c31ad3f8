namespace OrleansSettlement.Service.Tests.Infrastructure;

/// <summary>Finds the repository root: the nearest folder above the test binaries that holds OrleansSettlement.sln.</summary>
internal static class RepositoryRoot
{
    public static string Find()
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
