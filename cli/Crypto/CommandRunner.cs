using System.Security.Cryptography;
using System.Text.Json;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Cli.Crypto;

/// <summary>
/// Runs the body of a command and turns every failure into one line on stderr and an exit code,
/// so the user never sees a stack trace.
/// </summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(string command, Func<CancellationToken, Task<int>> body, CancellationToken ct)
    {
        try
        {
            return await body(ct).ConfigureAwait(false);
        }
        catch (CommandFailedException failure)
        {
            return Fail(failure.ExitCode, $"{failure.Subject}: {failure.Message}");
        }
        catch (ProtocolException exception)
        {
            return Fail(ExitCodes.Unusable, $"{command}: {exception.Error}");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Fail(ExitCodes.Cancelled, $"{command}: interrupted");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException
            or JsonException or CryptographicException or ArgumentException or NotSupportedException)
        {
            return Fail(ExitCodes.Unusable, $"{command}: {OneLine(exception.Message)}");
        }
#pragma warning disable CA1031 // The last resort: a bug is still reported in words, never as a stack trace.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return Fail(ExitCodes.Unusable, $"{command}: internal error ({exception.GetType().Name}): {OneLine(exception.Message)}");
        }
    }

    /// <summary>Collapses a message to one line (exception messages may hold line breaks).</summary>
    public static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static int Fail(int exitCode, string message)
    {
        Console.Error.WriteLine($"settle: {OneLine(message)}");
        return exitCode;
    }
}
