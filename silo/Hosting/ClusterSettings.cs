using OrleansSettlement.Contracts;

namespace OrleansSettlement.Hosting;

/// <summary>
/// The Orleans cluster a host joins (silo) or connects to (client): <c>Orleans:ClusterId</c> and
/// <c>Orleans:ServiceId</c>. Shared by the silo and the API (the API links this file).
/// </summary>
internal sealed record ClusterSettings(string ClusterId, string ServiceId)
{
    public static ClusterSettings FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new ClusterSettings(
            Identifier(configuration, ConfigurationKeys.ClusterId, StorageNames.DefaultClusterId),
            Identifier(configuration, ConfigurationKeys.ServiceId, StorageNames.DefaultServiceId));
    }

    private static string Identifier(IConfiguration configuration, string key, string fallback)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        value = value.Trim();
        foreach (var character in value)
        {
            if (!char.IsAsciiLetterOrDigit(character) && character != '-' && character != '_' && character != '.')
            {
                throw new HostConfigurationException($"{key} may hold only letters, digits, '-', '_' and '.'.");
            }
        }

        return value;
    }
}
