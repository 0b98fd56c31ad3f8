namespace OrleansSettlement.Cli.Service;

/// <summary>The repository the CLI serves: <c>SETTLE_ROOT</c> (set by the <c>./settle</c> wrapper), else the nearest folder holding OrleansSettlement.sln.</summary>
internal static class Repository
{
    public const string SolutionFile = "OrleansSettlement.sln";
    public const string RootVariable = "SETTLE_ROOT";

    public static string FindRoot()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(RootVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (!File.Exists(Path.Combine(fromEnvironment, SolutionFile)))
            {
                throw new UpFailedException($"{RootVariable}={fromEnvironment} does not hold {SolutionFile}.");
            }

            return Path.GetFullPath(fromEnvironment);
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
                {
                    return directory.FullName;
                }
            }
        }

        throw new UpFailedException($"cannot find the repository ({SolutionFile}): run ./settle from the repository.");
    }
}
