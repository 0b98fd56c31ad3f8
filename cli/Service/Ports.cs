using System.Net;
using System.Net.Sockets;

namespace OrleansSettlement.Cli.Service;

/// <summary>Loopback TCP ports: is one free, does one accept connections.</summary>
internal static class Ports
{
    /// <summary>True when nothing listens on 127.0.0.1:<paramref name="port"/> (checked by binding it briefly).</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            // As Kestrel and Orleans do: a port in TIME_WAIT after an earlier run counts as free, a listener does not.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>True when 127.0.0.1:<paramref name="port"/> accepts a connection.</summary>
    public static async Task<bool> AcceptsAsync(int port, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, ct).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
