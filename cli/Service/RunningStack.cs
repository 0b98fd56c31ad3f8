namespace OrleansSettlement.Cli.Service;

/// <summary>The order in which <see cref="RunningStack"/> stops its processes: the API, then the silos, then storage.</summary>
internal enum StopOrder
{
    Api = 0,
    Silo = 1,
    Storage = 2,
}

/// <summary>The processes <c>settle up</c> started, stopped in <see cref="StopOrder"/> (silos together).</summary>
internal sealed class RunningStack
{
    private readonly List<(ChildProcess Child, TimeSpan Grace, StopOrder Order)> _children = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _children.Count;
            }
        }
    }

    public IReadOnlyList<ChildProcess> Children
    {
        get
        {
            lock (_gate)
            {
                return [.. _children.Select(entry => entry.Child)];
            }
        }
    }

    public void Add(ChildProcess child, TimeSpan grace, StopOrder order)
    {
        lock (_gate)
        {
            _children.Add((child, grace, order));
        }
    }

    /// <summary>How many children of <paramref name="order"/>'s kind are listed (the API, silos, storage).</summary>
    public int CountOf(StopOrder order)
    {
        lock (_gate)
        {
            return _children.Count(entry => entry.Order == order);
        }
    }

    /// <summary>True when <paramref name="child"/> is one of the silos.</summary>
    public bool IsSilo(ChildProcess child)
    {
        lock (_gate)
        {
            return _children.Any(entry => ReferenceEquals(entry.Child, child) && entry.Order == StopOrder.Silo);
        }
    }

    /// <summary>Stops following <paramref name="child"/> (it has exited); the caller disposes it.</summary>
    public void Remove(ChildProcess child)
    {
        lock (_gate)
        {
            _children.RemoveAll(entry => ReferenceEquals(entry.Child, child));
        }
    }

    /// <summary>The first child that has exited, or null while all run.</summary>
    public ChildProcess? FirstExited() => Children.FirstOrDefault(child => child.HasExited);

    /// <summary>Waits until a child exits (returns it) or <paramref name="ct"/> is cancelled (returns null).</summary>
    public async Task<ChildProcess?> WaitForFirstExitAsync(CancellationToken ct)
    {
        var children = Children;
        var exits = children.Select(async child =>
        {
            await child.WaitForExitAsync(ct).ConfigureAwait(false);
            return child;
        }).ToList();
        try
        {
            var first = await Task.WhenAny(exits).ConfigureAwait(false);
            return await first.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Stops every child by PID: SIGTERM, its grace period, then SIGKILL; the API first, Azurite last.</summary>
    public async Task StopAsync()
    {
        List<(ChildProcess Child, TimeSpan Grace, StopOrder Order)> children;
        lock (_gate)
        {
            children = [.. _children];
            _children.Clear();
        }

        foreach (var group in children.GroupBy(entry => entry.Order).OrderBy(group => group.Key))
        {
            await Task.WhenAll(group.Select(entry => StopOneAsync(entry.Child, entry.Grace))).ConfigureAwait(false);
        }
    }

    private static async Task StopOneAsync(ChildProcess child, TimeSpan grace)
    {
        using (child)
        {
            if (child.HasExited)
            {
                Console.WriteLine($"  {child.Name} had already exited (code {child.ExitCode})");
                return;
            }

            var inTime = await child.StopAsync(grace).ConfigureAwait(false);
            Console.WriteLine(inTime
                ? $"  {child.Name} stopped"
                : $"  {child.Name} did not stop within {grace.TotalSeconds} s: killed");
        }
    }
}
