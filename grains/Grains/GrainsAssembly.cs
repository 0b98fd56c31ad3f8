namespace OrleansSettlement.Grains;

internal static class GrainsAssembly;
