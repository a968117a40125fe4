using Migration.Cli.Display;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Spectre.Console;

namespace Migration.Cli.Commands;

/// <summary>One phase of the demo: start a job per VM, show their progress live (or as lines when not interactive) until all end.</summary>
public static class DemoPhase
{
    public static async Task<List<JobView>> RunAsync(
        EmbeddedSystem system,
        IReadOnlyList<(string JobId, string Vm)> jobs,
        SyncType syncType,
        DateTimeOffset deadline,
        CancellationToken cancellationToken,
        DemoNbdExports? exports = null,
        ICollection<string>? started = null)
    {
        foreach (var (jobId, vm) in jobs)
        {
            started?.Add(jobId);
            await system.StartReplicationAsync(jobId, vm, syncType, cancellationToken: cancellationToken, target: exports?.TargetOf(vm));
        }

        var ids = jobs.Select(j => j.JobId).ToList();
        var left = deadline - system.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        IReadOnlyList<JobView> final = [];
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            var time = system.Services.GetRequiredService<TimeProvider>();
            await AnsiConsole.Live(JobBoard.Render([], time.GetUtcNow(), AnsiConsole.Profile.Width)).AutoClear(false).StartAsync(async live =>
            {
                var shown = Task.CompletedTask;
                final = await system.WaitForJobsAsync(ids, left, jobsNow =>
                {
                    // The callback is synchronous: the disks are read on the side, one read at a time.
                    if (shown.IsCompleted)
                    {
                        shown = ShowAsync(live, system, jobsNow, time, cancellationToken);
                    }
                }, cancellationToken);
                await shown;
                await ShowAsync(live, system, final, time, cancellationToken);
            });
        }
        else
        {
            var lastLine = new Dictionary<string, string>();
            final = await system.WaitForJobsAsync(ids, left, jobsNow =>
            {
                foreach (var job in jobsNow)
                {
                    var line = JobTable.Line(job);
                    var key = $"{job.Status}/{job.CurrentOperation}/{Math.Floor(job.ProgressPercent / 10)}";
                    if (lastLine.GetValueOrDefault(job.Id) != key)
                    {
                        lastLine[job.Id] = key;
                        Console.WriteLine(line);
                    }
                }
            }, cancellationToken);
        }

        return final.ToList();
    }

    private static async Task ShowAsync(LiveDisplayContext live, EmbeddedSystem system, IReadOnlyList<JobView> jobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var snapshots = await JobSnapshot.ReadAsync(system.Queries, jobs, cancellationToken);
        live.UpdateTarget(JobBoard.Render(snapshots, time.GetUtcNow(), AnsiConsole.Profile.Width));
        live.Refresh();
    }
}
