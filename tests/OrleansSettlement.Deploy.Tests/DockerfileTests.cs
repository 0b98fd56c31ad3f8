using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace OrleansSettlement.Deploy.Tests;

/// <summary>
/// The images are not built here (no Docker engine, no registry), so what can go stale is checked instead: each
/// Dockerfile's build stage copies every folder its project needs (its project references, followed to the end, and
/// the source files it links from other folders), and starts the assembly that project builds.
/// </summary>
public sealed partial class DockerfileTests
{
    [Theory]
    [InlineData("deploy/docker/silo.Dockerfile", "silo/OrleansSettlement.Silo.csproj")]
    [InlineData("deploy/docker/api.Dockerfile", "api/OrleansSettlement.Api.csproj")]
    public void Dockerfile_CopiesEveryFolderItsProjectNeeds_AndStartsItsAssembly(string dockerfile, string project)
    {
        var text = File.ReadAllText(Path.Combine(Paths.Repository, dockerfile));
        var copied = CopyLine().Matches(text)
            .SelectMany(match => match.Groups["sources"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();

        var needed = Needs(project).Order(StringComparer.Ordinal).ToList();
        var missing = needed.Where(folder => !copied.Any(source => source.EndsWith('/') && folder.StartsWith(source, StringComparison.Ordinal))).ToList();

        Assert.NotEmpty(needed);
        Assert.True(missing.Count == 0, $"{dockerfile} does not copy: {string.Join(", ", missing)}");
        Assert.All(new[] { "global.json", "Directory.Build.props", "Directory.Packages.props" }, file => Assert.Contains(file, copied));
        Assert.Contains($"\"{Path.GetFileNameWithoutExtension(project)}.dll\"", text, StringComparison.Ordinal);
        Assert.Contains($"publish {project}", text, StringComparison.Ordinal);
    }

    /// <summary>Every folder (relative to the repository, ending in '/') the project compiles from, its references' too.</summary>
    private static HashSet<string> Needs(string project)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.Combine(Paths.Repository, project)]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var file))
        {
            if (!seen.Add(Path.GetFullPath(file)))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
            folders.Add(Relative(directory));
            var xml = XDocument.Load(file);
            foreach (var include in xml.Descendants().Where(element => element.Name.LocalName is "ProjectReference" or "Compile").Select(element => (string?)element.Attribute("Include")))
            {
                if (include is null)
                {
                    continue;
                }

                var path = Path.GetFullPath(Path.Combine(directory, include.Replace('\\', '/')));
                if (include.EndsWith(".csproj", StringComparison.Ordinal))
                {
                    pending.Push(path);
                }
                else
                {
                    folders.Add(Relative(Path.GetDirectoryName(path)!));
                }
            }
        }

        return folders;
    }

    private static string Relative(string directory) => Path.GetRelativePath(Paths.Repository, directory).Replace('\\', '/') + "/";

    /// <summary>A COPY of the build context (not <c>--from</c> another stage): its sources, then the destination.</summary>
    [GeneratedRegex(@"^COPY (?!--from)(?<sources>.+) \S+$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex CopyLine();
}
