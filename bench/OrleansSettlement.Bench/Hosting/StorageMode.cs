namespace OrleansSettlement.Bench.Hosting;

/// <summary>Where the silo keeps grain state and reminders during a bench run.</summary>
public enum StorageMode
{
    /// <summary>Azure Table storage on a local Azurite, exactly as <c>SiloConfiguration</c> wires it.</summary>
    Azurite,

    /// <summary>Orleans memory grain storage and in-memory reminders (clustering stays on Azurite): what the service
    /// costs when storage is free, so that crypto and grain calls decide.</summary>
    Memory,
}
