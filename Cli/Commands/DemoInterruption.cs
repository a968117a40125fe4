using Migration.Cli.Embedded;
using Migration.Contracts;
using Migration.Contracts.Status;

namespace Migration.Cli.Commands;

/// <summary>
/// A demo stopped with Ctrl-C or SIGTERM cancels the jobs it started before it exits, so its database holds no job that
/// looks as if it were still streaming (the in-memory scheduler's contact timeouts end with the process).
/// </summary>
public static class DemoInterruption
{
    /// <summary>How long the cancelled jobs may take to reach a final state.</summary>
    public static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(20);

    /// <summary>Publishes a cancel for every started job not yet finished, waits for them to end, reports, returns 130.</summary>
    public static async Task<int> CancelStartedJobsAsync(EmbeddedSystem system, IReadOnlyCollection<string> started)
    {
        using var wait = new CancellationTokenSource(CancelWait);
        var unfinished = new List<string>();
        foreach (var jobId in started)
        {
            var job = await system.Queries.GetJobAsync(jobId, wait.Token);
            if (job is null || !StatusMapping.IsTerminal(job.Status))
            {
                unfinished.Add(jobId);
            }
        }

        var bus = system.Services.GetRequiredService<MassTransit.IBus>();
        foreach (var jobId in unfinished)
        {
            await bus.Publish(new CancelReplication { JobId = jobId, Reason = "the demo was interrupted" }, wait.Token);
        }

        var ended = await system.WaitForJobsAsync(unfinished, CancelWait, cancellationToken: wait.Token);
        var stillRunning = unfinished.Except(ended.Where(j => StatusMapping.IsTerminal(j.Status)).Select(j => j.Id)).ToList();
        await Console.Error.WriteLineAsync(
            $"interrupted: cancelled {unfinished.Count - stillRunning.Count} unfinished job(s) of {started.Count} started" +
            (stillRunning.Count == 0 ? "" : $"; not confirmed within {CancelWait.TotalSeconds:0} s: {string.Join(", ", stillRunning)}"));
        return CommandLine.CliApp.Cancelled;
    }
}
