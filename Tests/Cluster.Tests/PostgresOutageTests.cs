using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class PostgresOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PostgreSQL_stopped_for_20_seconds_mid_run_writes_resume_and_no_row_is_partial()
    {
        await using var run = await ClusterRun.CreateAsync("pgdown", output);
        var topology = await run.StartTopologyAsync(vmCount: 20, throughputCapPerJob: "256KiB");
        var jobs = ClusterRun.Jobs("pgdown", 20, topology.Vma.Url);
        var jobIds = jobs.Select(j => j.JobId).ToList();
        await run.PublishStartsAsync(jobs);
        var monitor = new ProgressMonitor();

        await run.WaitUntilStreamingAsync(10, TimeSpan.FromSeconds(60));
        var stoppedAt = DateTime.UtcNow;
        await run.Servers.StopPostgresAsync();
        await Task.Delay(TimeSpan.FromSeconds(20));
        await run.Servers.StartPostgresAsync();
        var startedAt = DateTime.UtcNow;
        var unfinished = await run.UnfinishedJobsAsync();
        output.WriteLine($"PostgreSQL down from {stoppedAt:HH:mm:ss.fff} to {startedAt:HH:mm:ss.fff}; {unfinished.Count} jobs unfinished then");

        var finished = await run.WaitForJobsAsync(jobIds, monitor, TimeSpan.FromMinutes(3));

        Assert.All(finished, j => Assert.Equal("completed", j.Status));
        var problems = await RunChecks.AllJobsAsync(run.Database, expectFailed: []);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(monitor.Regressions.Count == 0, "progress went backwards:\n" + string.Join('\n', monitor.Regressions));
        Assert.All(topology.Workers.Concat(topology.Schedulers), p => Assert.False(p.HasExited, $"{p.Name} exited"));

        var cadence = PollCadence.FromVmaLog(topology.Vma.LogFile);
        var during = jobIds.Sum(id => cadence.Count(id, after: stoppedAt) - cadence.Count(id, after: startedAt));
        var firstPollAfter = cadence.Requests.Values.SelectMany(t => t).Where(t => t > startedAt).Min() - startedAt;
        output.WriteLine($"progress requests while PostgreSQL was down: {during}; first poll {firstPollAfter.TotalSeconds:F1} s after it was back");
        // The seed: database errors don't stop polling. The Quartz sweep cannot fire without its store, so the
        // scheduler's outage polling keeps the jobs it last saw active in contact with the VMA.
        Assert.True(during >= unfinished.Count * 5, $"only {during} progress requests in 20 s of outage for {unfinished.Count} unfinished jobs");
        // Polling resumes promptly, not after the job store's default 15 s back-off (doubled: 30 s unpolled).
        Assert.True(firstPollAfter < TimeSpan.FromSeconds(15), $"the first poll came {firstPollAfter.TotalSeconds:F1} s after PostgreSQL was back");
        Assert.NotEmpty(unfinished);
        // A job may have finished on the VMA during the outage: polled then, its completion is written once the
        // database is back, and it is not polled again.
        Assert.All(unfinished, id => Assert.True(cadence.Count(id, after: stoppedAt) > 0, $"{id} was not polled during or after the outage"));

        var queues = await run.Management.GetQueuesAsync(run.VirtualHost);
        output.WriteLine("queues: " + string.Join("; ", queues));
        Assert.DoesNotContain(queues, RunChecks.HoldsFaultedMessages);
    }
}
