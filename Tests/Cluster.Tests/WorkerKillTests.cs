using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class WorkerKillTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_worker_killed_with_SIGKILL_mid_run_loses_no_job_the_other_finishes_them()
    {
        await using var run = await ClusterRun.CreateAsync("kill", output);
        var topology = await run.StartTopologyAsync(vmCount: 20, throughputCapPerJob: "256KiB");
        var jobs = ClusterRun.Jobs("kill", 20, topology.Vma.Url);
        var jobIds = jobs.Select(j => j.JobId).ToList();
        await run.PublishStartsAsync(jobs);
        var monitor = new ProgressMonitor();

        await run.WaitUntilStreamingAsync(10, TimeSpan.FromSeconds(60));
        var killedAt = DateTime.UtcNow;
        topology.Workers[0].Kill(); // kill -9: its unacknowledged messages go back to the queues when the connection drops
        var unfinishedAtKill = await run.UnfinishedJobsAsync();
        output.WriteLine($"killed worker-a at {killedAt:HH:mm:ss.fff} with {unfinishedAtKill.Count} jobs unfinished");

        var finished = await run.WaitForJobsAsync(jobIds, monitor, TimeSpan.FromMinutes(3));

        Assert.All(finished, j => Assert.Equal("completed", j.Status));
        var problems = await RunChecks.AllJobsAsync(run.Database, expectFailed: []);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(monitor.Regressions.Count == 0, "progress went backwards:\n" + string.Join('\n', monitor.Regressions));
        Assert.False(topology.Workers[1].HasExited, "worker-b should still run");

        // Work went on after the kill: every job that was unfinished then was polled afterwards.
        var cadence = PollCadence.FromVmaLog(topology.Vma.LogFile);
        Assert.NotEmpty(unfinishedAtKill);
        Assert.All(unfinishedAtKill, id => Assert.True(cadence.Count(id, after: killedAt) > 0, $"{id} was not polled after the kill"));

        var queues = await run.Management.GetQueuesAsync(run.VirtualHost);
        output.WriteLine("queues: " + string.Join("; ", queues));
        Assert.Equal(1, Assert.Single(queues, q => q.Name == "replication-state").Consumers);
        Assert.DoesNotContain(queues, RunChecks.HoldsFaultedMessages);
    }
}
