using System.Runtime.InteropServices;

namespace OrleansSettlement.Testing.Azurite;

/// <summary>Sends SIGTERM to one process by its id (the .NET Process API only offers SIGKILL).</summary>
internal static class Signals
{
    private const int SigTerm = 15;

    public static void Terminate(int processId)
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = NativeMethods.Kill(processId, SigTerm);
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int processId, int signal);
    }
}
