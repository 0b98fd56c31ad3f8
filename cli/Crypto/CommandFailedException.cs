using OrleansSettlement.Protocol;

namespace OrleansSettlement.Cli.Crypto;

/// <summary>
/// Stops a command with an exit code and a one-line reason about one subject (usually a file),
/// printed by <see cref="CommandRunner"/> as <c>settle: SUBJECT: REASON</c>.
/// </summary>
internal sealed class CommandFailedException : Exception
{
    public CommandFailedException(int exitCode, string subject, string reason)
        : base(reason)
    {
        ExitCode = exitCode;
        Subject = subject;
    }

    public CommandFailedException()
        : this(ExitCodes.Unusable, "settle", "failed")
    {
    }

    public CommandFailedException(string message)
        : this(ExitCodes.Unusable, "settle", message)
    {
    }

    public CommandFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Unusable;
        Subject = "settle";
    }

    public int ExitCode { get; }

    public string Subject { get; }

    /// <summary>Input that cannot be used (exit 2), explained by a protocol error.</summary>
    public static CommandFailedException Unusable(string subject, ProtocolError error) =>
        new(ExitCodes.Unusable, subject, error.ToString());

    /// <summary>Input that cannot be used (exit 2), explained in words.</summary>
    public static CommandFailedException Unusable(string subject, string reason) =>
        new(ExitCodes.Unusable, subject, reason);
}
