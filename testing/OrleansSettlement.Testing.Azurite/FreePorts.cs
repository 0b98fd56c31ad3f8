using System.Net;
using System.Net.Sockets;

namespace OrleansSettlement.Testing.Azurite;

/// <summary>
/// Free loopback TCP ports, found by binding port 0; all are held open together so they are distinct, then released
/// (the usual small race with another process taking one before it is used is accepted).
/// </summary>
public static class FreePorts
{
    public static int[] Take(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var index = 0; index < count; index++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
