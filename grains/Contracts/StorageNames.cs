namespace OrleansSettlement.Contracts;

/// <summary>Names shared by the silo and its clients: storage providers, stream names, cluster ids.</summary>
/// <remarks>
/// Stored names never change once deployed: renaming a table or a provider orphans the rows written under
/// the old name. Azure table names are letters and digits only, 3 to 63 characters, starting with a letter.
/// </remarks>
public static class StorageNames
{
    /// <summary>The grain storage provider every grain persists its state through (also the default provider).</summary>
    public const string GrainState = "settlement";

    /// <summary>The Azure table holding grain state (one row per grain, partitioned by service id and grain id).</summary>
    public const string GrainStateTable = "SettlementGrainState";

    /// <summary>The Azure table holding cluster membership; silos and clients must agree on it.</summary>
    public const string MembershipTable = "SettlementMembership";

    /// <summary>The Azure table holding Orleans reminders.</summary>
    public const string RemindersTable = "SettlementReminders";

    /// <summary>The cluster id used when configuration names none (a local development cluster).</summary>
    public const string DefaultClusterId = "local";

    /// <summary>
    /// The service id used when configuration names none. Grain state and reminders are keyed by it, so it
    /// stays the same across deployments; the cluster id may change.
    /// </summary>
    public const string DefaultServiceId = "orleans-settlement";
}
