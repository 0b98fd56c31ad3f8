using System.Collections.Concurrent;
using OrleansSettlement.Contracts;

namespace OrleansSettlement.Service.Tests.Flow;

/// <summary>
/// Which calls the test silo drops, to make an institution unreachable for a while: calls to its bank parts
/// (<see cref="IBankAgreementGrain"/>) fail as if its silo were gone. One instance serves every silo the fixture starts,
/// so a plan survives a silo restart.
/// </summary>
public sealed class Faults
{
    private readonly ConcurrentDictionary<(string Institution, string Method), int> _blocked = new();
    private int _dropped;

    /// <summary>How many calls were dropped so far (a test that expects faults can check that they happened).</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>Drops every call of <paramref name="method"/> (e.g. "Verify", "Decide") to the bank parts of <paramref name="institution"/>.</summary>
    public void Block(string institution, string method) => _blocked[(institution, method)] = 1;

    public void Unblock(string institution, string method) => _blocked.TryRemove((institution, method), out _);

    public void Clear() => _blocked.Clear();

    internal bool ShouldDrop(string grainKey, string method)
    {
        if (_blocked.IsEmpty)
        {
            return false;
        }

        var institution = grainKey.Split(GrainKeys.Separator)[0];
        if (!_blocked.ContainsKey((institution, method)))
        {
            return false;
        }

        Interlocked.Increment(ref _dropped);
        return true;
    }
}

/// <summary>An incoming call filter that applies <see cref="Faults"/> to bank-part calls.</summary>
internal sealed class FaultFilter(Faults faults) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType == typeof(IBankAgreementGrain)
            && faults.ShouldDrop(context.TargetId.Key.ToString(), context.InterfaceMethod.Name))
        {
            throw new InstitutionUnreachableException($"test fault: {context.InterfaceMethod.Name} to {context.TargetId} dropped");
        }

        return context.Invoke();
    }
}

/// <summary>What a dropped call fails with.</summary>
public sealed class InstitutionUnreachableException : Exception
{
    public InstitutionUnreachableException()
    {
    }

    public InstitutionUnreachableException(string message)
        : base(message)
    {
    }

    public InstitutionUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
