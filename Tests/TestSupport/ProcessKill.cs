using System.Diagnostics;

namespace Migration.Tests.Support;

/// <summary>SIGKILL of a test's child process and everything it started: nothing is finished, no handler runs.</summary>
public static class ProcessKill
{
    /// <summary>Kills the tree unless it has already exited, and waits up to 10 s for it to be gone.</summary>
    public static void KillTree(this Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone, or never started
        }
    }
}
