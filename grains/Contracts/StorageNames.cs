namespace OrleansSettlement.Contracts;

/// <summary>Names shared by the silo and its clients: storage providers, stream names, cluster ids.</summary>
public static class StorageNames
{
    /// <summary>The grain storage provider every grain persists its state through.</summary>
    public const string GrainState = "settlement";
}
