using System.Security.Cryptography;
using System.Text;

namespace OrleansSettlement.Cli.Crypto;

/// <summary>
/// Writes key files: never over an existing file unless asked, private keys readable by their
/// owner only (mode 0600 on Unix, also when replacing a file that had a wider mode).
/// </summary>
internal static class OutputFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Refuses, before anything is written, a target that exists (unless <paramref name="force"/>) or is a directory.</summary>
    public static void CheckWritable(string path, bool force)
    {
        if (path.Length == 0)
        {
            throw CommandFailedException.Unusable("''", "an empty path is not a file");
        }

        if (Directory.Exists(path))
        {
            throw CommandFailedException.Unusable(path, "is a directory");
        }

        if (File.Exists(path) && !force)
        {
            throw CommandFailedException.Unusable(path, "already exists; pass --force to replace it");
        }
    }

    public static void Write(string path, string text, bool secret, bool force)
    {
        var bytes = Utf8.GetBytes(text);
        try
        {
            if (force)
            {
                // Write beside the target, then rename over it: the new file gets the new mode
                // (an existing file would keep its own) and readers never see half a key.
                var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
                var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");
                try
                {
                    WriteNew(temporary, bytes, secret);
                    File.Move(temporary, path, overwrite: true);
                }
                finally
                {
                    TryDelete(temporary);
                }
            }
            else
            {
                WriteNew(path, bytes, secret);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw CommandFailedException.Unusable(path, DescribeWriteFailure(path, exception, force));
        }
    }

    private static void WriteNew(string path, byte[] bytes, bool secret)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        var created = false;
        try
        {
            using var stream = new FileStream(path, options);
            created = true;
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        catch when (created)
        {
            TryDelete(path);
            throw;
        }
    }

    /// <summary>Removes a file this command created (a temporary or half-written one); a failure to do so must not hide the first error.</summary>
    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the original error is reported.
        }
    }

    private static string DescribeWriteFailure(string path, Exception exception, bool force) => exception switch
    {
        DirectoryNotFoundException => "no such directory",
        UnauthorizedAccessException => "permission denied",
        IOException when !force && File.Exists(path) => "already exists; pass --force to replace it",
        _ => $"cannot write: {CommandRunner.OneLine(exception.Message)}",
    };
}
