using Microsoft.Extensions.Configuration.Memory;

namespace OrleansSettlement.Hosting;

/// <summary>Default log levels, added as the lowest-precedence configuration so that any other source overrides them.</summary>
internal static class LoggingDefaults
{
    public static void AddTo(IConfigurationBuilder configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                // The health checks log their own failures (with the error type only); the service's own log repeats them.
                ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "Critical",
                // Orleans is talkative at Information (options dumps, statistics): keep its warnings and errors.
                // Category rules match by prefix, so "Orleans" covers "OrleansSettlement" too unless it has its own rule.
                ["Logging:LogLevel:Orleans"] = "Warning",
                ["Logging:LogLevel:OrleansSettlement"] = "Information",
                ["Logging:LogLevel:Azure"] = "Warning",
                // Orleans' placement and retry pipelines log every attempt through Polly at Information.
                ["Logging:LogLevel:Polly"] = "Warning",
                ["Logging:Console:FormatterName"] = "simple",
                ["Logging:Console:FormatterOptions:SingleLine"] = "true",
                ["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss.fff ",
            },
        });
    }
}
