namespace OrleansSettlement.Hosting;

/// <summary>A configuration value is missing or wrong; the message says which and what to set (never a secret).</summary>
internal sealed class HostConfigurationException : Exception
{
    public HostConfigurationException()
    {
    }

    public HostConfigurationException(string message)
        : base(message)
    {
    }

    public HostConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
