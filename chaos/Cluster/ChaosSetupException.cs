namespace OrleansSettlement.Chaos.Cluster;

/// <summary>The run could not set up its cluster (Azurite missing, a silo that did not start): not a finding.</summary>
public sealed class ChaosSetupException : Exception
{
    public ChaosSetupException()
    {
    }

    public ChaosSetupException(string message)
        : base(message)
    {
    }

    public ChaosSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
