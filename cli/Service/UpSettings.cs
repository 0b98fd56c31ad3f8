namespace OrleansSettlement.Cli.Service;

/// <summary>What <c>settle up</c> starts, and on which loopback ports.</summary>
internal sealed record UpSettings(
    int Silos,
    int ApiPort,
    int BlobPort,
    int QueuePort,
    int TablePort,
    int FirstSiloPort,
    int FirstGatewayPort,
    bool Reset)
{
    public const int DefaultApiPort = 5080;
    public const int DefaultBlobPort = 10000;
    public const int DefaultQueuePort = 10001;
    public const int DefaultTablePort = 10002;
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;
    public const int MaxSilos = 9;

    /// <summary>
    /// A cluster id of its own for every run: "local-" and the start time. Grain state and reminders are keyed by the
    /// service id (which stays the default), so they carry over; membership rows do not. With one fixed cluster id, a
    /// run after a crash (kill -9) finds the dead silos still listed as active, and a new silo waits about two minutes
    /// for them to age out before it joins.
    /// </summary>
    public string ClusterId { get; } = "local-" + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", System.Globalization.CultureInfo.InvariantCulture);

    public Uri ApiBaseAddress => new($"http://127.0.0.1:{ApiPort}");

    public int SiloPortOf(int silo) => checked(FirstSiloPort + silo - 1);

    public int GatewayPortOf(int silo) => checked(FirstGatewayPort + silo - 1);

    /// <summary>Every port with what uses it, in start order.</summary>
    public IReadOnlyList<(int Port, string Use, string Option)> Ports()
    {
        var ports = new List<(int, string, string)>
        {
            (BlobPort, "Azurite blob", "--blob-port"),
            (QueuePort, "Azurite queue", "--queue-port"),
            (TablePort, "Azurite table", "--table-port"),
        };
        for (var silo = 1; silo <= Silos; silo++)
        {
            ports.Add((SiloPortOf(silo), $"silo {silo}'s silo port", "--silo-port"));
            ports.Add((GatewayPortOf(silo), $"silo {silo}'s gateway port", "--gateway-port"));
        }

        ports.Add((ApiPort, "the API", "--port"));
        return ports;
    }

    /// <summary>Checks the numbers; throws <see cref="UpFailedException"/> saying what is wrong.</summary>
    public void Validate()
    {
        if (Silos is < 1 or > MaxSilos)
        {
            throw new UpFailedException($"--silos must be between 1 and {MaxSilos}.");
        }

        foreach (var (port, use, option) in Ports())
        {
            if (port is < 1 or > 65535)
            {
                throw new UpFailedException($"{option}: {port} is not a port number (1 to 65535), for {use}.");
            }
        }

        var duplicate = Ports().GroupBy(entry => entry.Port).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
        {
            throw new UpFailedException(
                $"Port {duplicate.Key} is given to both {string.Join(" and ", duplicate.Select(entry => entry.Use))}: choose distinct ports.");
        }
    }
}
