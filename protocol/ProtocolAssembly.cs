namespace OrleansSettlement.Protocol;

internal static class ProtocolAssembly;
