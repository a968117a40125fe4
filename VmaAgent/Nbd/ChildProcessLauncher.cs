using System.Collections.Concurrent;
using System.Diagnostics;

namespace Migration.VmaAgent.Nbd;

/// <summary>
/// Starts child processes from one thread that lives as long as this process. nbdkit (1.32, Debian) sets
/// <c>PR_SET_PDEATHSIG(SIGTERM)</c> at start-up whether or not <c>--exit-with-parent</c> is given, and Linux sends
/// that signal when the <em>thread</em> that forked the child ends, not the process. <see cref="Process.Start()"/>
/// forks on the calling thread, so an nbdkit started from a thread-pool or long-running-task thread got SIGTERM (and
/// exited 0) as soon as that thread retired — the intermittent early exits and dropped exports of <c>demo --nbd</c>
/// (seen with the kernel's signal_generate trace: the sender was the exiting .NET thread that had forked nbdkit).
/// Forked from here, a child ends with this process only, which is what <c>--exit-with-parent</c> means.
/// </summary>
public static class ChildProcessLauncher
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Requests = [];

    private static readonly Lazy<Thread> Launcher = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "child process launcher" };
        thread.Start();
        return thread;
    });

    /// <summary>Starts the process on the launcher thread; fails as <see cref="Process.Start(ProcessStartInfo)"/> would.</summary>
    public static Task<Process> StartAsync(ProcessStartInfo info)
    {
        _ = Launcher.Value;
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((info, started));
        return started.Task;
    }

    private static void Run()
    {
        foreach (var (info, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start"));
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }
    }
}
