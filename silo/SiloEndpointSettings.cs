using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using OrleansSettlement.Hosting;

namespace OrleansSettlement.Silo;

/// <summary>
/// Where a silo listens and what address it publishes in the membership table:
/// <c>Orleans:SiloPort</c> (default 11111), <c>Orleans:GatewayPort</c> (default 30000),
/// <c>Orleans:AdvertisedIPAddress</c> (default 127.0.0.1, a local cluster; <c>auto</c>: this host's own IPv4 address,
/// for containers, whose address is known only when they start) and
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
        var addressText = configuration[ConfigurationKeys.AdvertisedIPAddress]?.Trim();
        var address = IPAddress.Loopback;
        if (string.Equals(addressText, ConfigurationKeys.AutomaticAddress, StringComparison.OrdinalIgnoreCase))
        {
            address = OwnAddress();
        }
        else if (!string.IsNullOrEmpty(addressText) && !IPAddress.TryParse(addressText, out address))
        {
            throw new HostConfigurationException("Orleans:AdvertisedIPAddress must be an IP address, for example 127.0.0.1, or 'auto'.");
        }

        var siloPort = Port(configuration, ConfigurationKeys.SiloPort, DefaultSiloPort);
        var gatewayPort = Port(configuration, ConfigurationKeys.GatewayPort, DefaultGatewayPort);
        if (siloPort == gatewayPort)
        {
            throw new HostConfigurationException("Orleans:SiloPort and Orleans:GatewayPort must differ.");
        }

        var anyText = configuration[ConfigurationKeys.ListenOnAnyHostAddress];
        var listenOnAny = false;
        if (!string.IsNullOrWhiteSpace(anyText) && !bool.TryParse(anyText.Trim(), out listenOnAny))
        {
            throw new HostConfigurationException("Orleans:ListenOnAnyHostAddress must be true or false.");
        }

        return new SiloEndpointSettings(address!, siloPort, gatewayPort, listenOnAny);
    }

    /// <summary>The first IPv4 address of a network interface that is up and not loopback (a container's own address).</summary>
    private static IPAddress OwnAddress()
    {
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .FirstOrDefault(candidate => candidate.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(candidate));
        return address ?? throw new HostConfigurationException("Orleans:AdvertisedIPAddress is 'auto' but this host has no IPv4 address other than loopback.");
    }

    private static int Port(IConfiguration configuration, string key, int fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new HostConfigurationException($"{key} must be a port number between 1 and 65535.");
        }

        return port;
    }
}
