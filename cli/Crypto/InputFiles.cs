using System.Text;

namespace OrleansSettlement.Cli.Crypto;

/// <summary>Reads the files the commands are given, <c>-</c> meaning standard input, with errors in words.</summary>
internal static class InputFiles
{
    /// <summary>The name of standard input on the command line.</summary>
    public const string StandardInput = "-";

    /// <summary>Larger inputs are refused rather than read into memory (a protocol object is a few kilobytes).</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    /// <summary>How a path is named in messages.</summary>
    public static string DisplayName(string path) => path == StandardInput ? "<stdin>" : path;

    public static async Task<byte[]> ReadBytesAsync(string path, CancellationToken ct)
    {
        if (path.Length == 0)
        {
            throw CommandFailedException.Unusable("''", "an empty path is not a file");
        }

        try
        {
            if (path == StandardInput)
            {
                var stdin = Console.OpenStandardInput();
                await using (stdin.ConfigureAwait(false))
                {
                    return await ReadBoundedAsync(stdin, path, ct).ConfigureAwait(false);
                }
            }

            if (Directory.Exists(path))
            {
                throw CommandFailedException.Unusable(path, "is a directory, not a file");
            }

            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                return await ReadBoundedAsync(file, path, ct).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw CommandFailedException.Unusable(DisplayName(path), Describe(exception));
        }
    }

    /// <summary>Reads a file as UTF-8 text (key files); invalid UTF-8 is refused.</summary>
    public static async Task<string> ReadTextAsync(string path, CancellationToken ct)
    {
        var bytes = await ReadBytesAsync(path, ct).ConfigureAwait(false);
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw CommandFailedException.Unusable(DisplayName(path), "is not UTF-8 text");
        }
    }

    /// <summary>A short reason for an I/O failure, without the path (the caller prints it first).</summary>
    public static string Describe(Exception exception) => exception switch
    {
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such file or directory",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "path too long",
        _ => $"cannot read: {CommandRunner.OneLine(exception.Message)}",
    };

    private static async Task<byte[]> ReadBoundedAsync(Stream stream, string path, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > MaxBytes)
            {
                throw CommandFailedException.Unusable(DisplayName(path), $"is larger than {MaxBytes / (1024 * 1024)} MiB; refused");
            }

            buffer.Write(chunk, 0, read);
        }
    }
}
