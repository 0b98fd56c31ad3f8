using System.Text;

namespace OrleansSettlement.Cli.Service;

/// <summary>
/// Small files holding secrets (bearer tokens), readable and writable by their owner only (mode 0600). They are
/// replaced whole: written to a temporary file beside them and renamed, so a reader never sees half a file.
/// </summary>
internal static class SecretFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> with mode 0600 (creating its folder).</summary>
    public static void Write(string path, string text)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        using (var stream = new FileStream(temporary, options))
        {
            var bytes = Utf8.GetBytes(text);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            // A file left from an interrupted write may have had another mode: 0600 before it takes the name.
            File.SetUnixFileMode(temporary, OwnerOnly);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The file's text, or null when it does not exist. Tightens a looser mode to 0600.</summary>
    public static string? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerOnly) != 0)
        {
            File.SetUnixFileMode(path, OwnerOnly);
        }

        return File.ReadAllText(path, Utf8);
    }
}
