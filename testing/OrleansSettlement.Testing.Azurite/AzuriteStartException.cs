namespace OrleansSettlement.Testing.Azurite;

/// <summary>
/// Azurite could not be started (not installed, exited early, did not listen in time). Callers map it to their own
/// "could not set up" outcome (the bench and the chaos runner exit with their setup code), never to a finding.
/// </summary>
public sealed class AzuriteStartException : Exception
{
    public AzuriteStartException()
    {
    }

    public AzuriteStartException(string message)
        : base(message)
    {
    }

    public AzuriteStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
