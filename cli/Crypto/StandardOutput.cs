using System.Text;

namespace OrleansSettlement.Cli.Crypto;

/// <summary>Writes exact bytes to stdout (canonical JSON must not pass through a text encoder's choices).</summary>
internal static class StandardOutput
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        var stdout = Console.OpenStandardOutput();
        await using (stdout.ConfigureAwait(false))
        {
            await stdout.WriteAsync(bytes, ct).ConfigureAwait(false);
            await stdout.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> and then a newline.</summary>
    public static Task WriteLineAsync(ReadOnlySpan<byte> bytes, CancellationToken ct)
    {
        var line = new byte[bytes.Length + 1];
        bytes.CopyTo(line);
        line[^1] = (byte)'\n';
        return WriteAsync(line, ct);
    }

    public static Task WriteLinesAsync(IEnumerable<string> lines, CancellationToken ct)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        return WriteAsync(Utf8.GetBytes(text.ToString()), ct);
    }
}
