using System.Globalization;
using System.Net;
using OrleansSettlement.Hosting;

namespace OrleansSettlement.Silo;

/// <summary>
/// Where a silo listens and what address it publishes in the membership table:
/// <c>Orleans:SiloPort</c> (default 11111), <c>Orleans:GatewayPort</c> (default 30000),
/// <c>Orleans:AdvertisedIPAddress</c> (default 127.0.0.1, a local cluster) and
/// <c>Orleans:ListenOnAnyHostAddress</c> (default false: listen on the advertised address only).
/// Several silos run on one machine with distinct ports.
/// </summary>
internal sealed record SiloEndpointSettings(IPAddress AdvertisedIPAddress, int SiloPort, int GatewayPort, bool ListenOnAnyHostAddress)
{
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;

    public static SiloEndpointSettings FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ClusterSettings.SectionName);

        var addressText = section["AdvertisedIPAddress"];
        var address = IPAddress.Loopback;
        if (!string.IsNullOrWhiteSpace(addressText) && !IPAddress.TryParse(addressText.Trim(), out address))
        {
            throw new HostConfigurationException("Orleans:AdvertisedIPAddress must be an IP address, for example 127.0.0.1.");
        }

        var siloPort = Port(section, "SiloPort", DefaultSiloPort);
        var gatewayPort = Port(section, "GatewayPort", DefaultGatewayPort);
        if (siloPort == gatewayPort)
        {
            throw new HostConfigurationException("Orleans:SiloPort and Orleans:GatewayPort must differ.");
        }

        var anyText = section["ListenOnAnyHostAddress"];
        var listenOnAny = false;
        if (!string.IsNullOrWhiteSpace(anyText) && !bool.TryParse(anyText.Trim(), out listenOnAny))
        {
            throw new HostConfigurationException("Orleans:ListenOnAnyHostAddress must be true or false.");
        }

        return new SiloEndpointSettings(address!, siloPort, gatewayPort, listenOnAny);
    }

    private static int Port(IConfiguration section, string key, int fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new HostConfigurationException($"Orleans:{key} must be a port number between 1 and 65535.");
        }

        return port;
    }
}
