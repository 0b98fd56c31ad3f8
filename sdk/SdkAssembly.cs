namespace OrleansSettlement.Sdk;

internal static class SdkAssembly;
