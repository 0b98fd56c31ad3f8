namespace OrleansSettlement.Cli.Service;

/// <summary>
/// <c>settle up</c> cannot go on; the message says why in words (printed as <c>settle up: MESSAGE</c>), and
/// <see cref="Details"/> may hold more lines to show (the end of a log).
/// </summary>
internal sealed class UpFailedException : Exception
{
    public UpFailedException()
    {
    }

    public UpFailedException(string message)
        : base(message)
    {
    }

    public UpFailedException(string message, string? details)
        : base(message)
    {
        Details = details;
    }

    public UpFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Lines to show after the message, such as the end of a child process's log.</summary>
    public string? Details { get; }
}
