namespace OrleansSettlement.Cli.Demo;

/// <summary>
/// The demo cannot run against this service as set up: no demo data, tokens that are not this service's, a service that
/// does not answer. The message says what to do (exit code 2); it is never a refusal of the checkout itself.
/// </summary>
internal sealed class DemoSetupException : Exception
{
    public DemoSetupException()
    {
    }

    public DemoSetupException(string message)
        : base(message)
    {
    }

    public DemoSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
