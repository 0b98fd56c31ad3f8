namespace OrleansSettlement.Bench;

/// <summary>The bench cannot run as asked (bad options, Azurite missing, a refusal while building the parties): exit 2.</summary>
public sealed class BenchSetupException : Exception
{
    public BenchSetupException()
    {
    }

    public BenchSetupException(string message)
        : base(message)
    {
    }

    public BenchSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
