using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class RabbitMqRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RabbitMQ_restarted_mid_run_every_job_still_completes_and_nothing_is_lost()
    {
        await using var run = await ClusterRun.CreateAsync("rabbit", output);
        // 128 KiB/s: a VM of two or three 4 MiB disks streams for 64-96 s, longer than a broker restart takes on a
        // loaded machine (41 s seen), so jobs are still running when the broker is back.
        var topology = await run.StartTopologyAsync(vmCount: 20, throughputCapPerJob: "128KiB");
        var jobs = ClusterRun.Jobs("rabbit", 20, topology.Vma.Url);
        var jobIds = jobs.Select(j => j.JobId).ToList();
        await run.PublishStartsAsync(jobs);
        var monitor = new ProgressMonitor();

        await run.WaitUntilStreamingAsync(10, TimeSpan.FromSeconds(60));
        var stoppedAt = DateTime.UtcNow;
        await run.Servers.StopRabbitMqAsync();
        await run.Servers.StartRabbitMqAsync();
        var restartedAt = DateTime.UtcNow;
        var unfinished = await run.UnfinishedJobsAsync();
        output.WriteLine($"RabbitMQ down from {stoppedAt:HH:mm:ss.fff} to {restartedAt:HH:mm:ss.fff}; {unfinished.Count} jobs unfinished then");

        var finished = await run.WaitForJobsAsync(jobIds, monitor, TimeSpan.FromMinutes(3));

        Assert.All(finished, j => Assert.Equal("completed", j.Status));
        var problems = await RunChecks.AllJobsAsync(run.Database, expectFailed: []);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(monitor.Regressions.Count == 0, "progress went backwards:\n" + string.Join('\n', monitor.Regressions));
        Assert.All(topology.Workers.Concat(topology.Schedulers), p => Assert.False(p.HasExited, $"{p.Name} exited"));

        // Polling came back: every job unfinished at the restart was polled after it.
        var cadence = PollCadence.FromVmaLog(topology.Vma.LogFile);
        Assert.NotEmpty(unfinished);
        Assert.All(unfinished, id => Assert.True(cadence.Count(id, after: restartedAt) > 0, $"{id} was not polled after the restart"));

        // Every process reconnected: each queue has its consumers again (MassTransit's reconnect delays grow while the
        // broker is down, so after a slow broker start this may take a minute more, but not for ever), and nothing faulted.
        var queues = await run.WaitForConsumersAsync(
            ["replication-state", "poll-progress", "start-vma-replication", "cancel-vma-replication", "scheduler"], 2, TimeSpan.FromSeconds(120));
        output.WriteLine("queues: " + string.Join("; ", queues));
        Assert.DoesNotContain(queues, RunChecks.HoldsFaultedMessages);
    }
}
