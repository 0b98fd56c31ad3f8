using System.Runtime.InteropServices;

namespace OrleansSettlement.Cli.Service;

/// <summary>Signals to one process by its id (the .NET Process API offers only SIGKILL).</summary>
internal static class Signals
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    /// <summary>Asks the process to stop (SIGTERM); false when it no longer exists.</summary>
    public static bool Terminate(int processId) => Send(processId, SigTerm);

    /// <summary>Ends the process at once (SIGKILL); false when it no longer exists.</summary>
    public static bool Kill(int processId) => Send(processId, SigKill);

    /// <summary>True when a process with this id exists (signal 0 checks without sending anything).</summary>
    public static bool Exists(int processId) => Send(processId, 0);

    private static bool Send(int processId, int signal) =>
        !OperatingSystem.IsWindows() && NativeMethods.Kill(processId, signal) == 0;

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int processId, int signal);
    }
}
