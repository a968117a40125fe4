using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class SchedulerRestartTests(ITestOutputHelper output)
{
    // Compressed from 5 minutes, but longer than the restart: no job is polled while no scheduler runs, and on this
    // two-core machine under load the replacements took up to 32 s to be ready (a 20 s limit failed healthy jobs).
    private static readonly Dictionary<string, string> CompressedTimeout = new()
    {
        ["Tracking__ContactTimeout"] = "00:01:00",
    };

    [Fact]
    public async Task Rolling_restart_of_schedulers_and_a_worker_resumes_polls_and_the_contact_timeout_still_fires()
    {
        await using var run = await ClusterRun.CreateAsync("restart", output);
        var topology = await run.StartTopologyAsync(vmCount: 12, throughputCapPerJob: "256KiB", CompressedTimeout);
        var jobs = ClusterRun.Jobs("restart", 12, topology.Vma.Url);
        // A job at a VMA that never answers: nothing listens on that port. Its contact timeout (60 s) is a message
        // scheduled through the Scheduler's Quartz store before the restart, and it is due after the schedulers were replaced.
        var silentVma = new Uri($"http://127.0.0.1:{LoopbackPorts.Next()}");
        jobs.Add(("restart-silent", "demo-vm-1", silentVma));
        var jobIds = jobs.Select(j => j.JobId).ToList();
        await run.PublishStartsAsync(jobs);
        var monitor = new ProgressMonitor();

        await run.WaitUntilStreamingAsync(6, TimeSpan.FromSeconds(60));
        var stoppedAt = DateTime.UtcNow;
        foreach (var scheduler in topology.Schedulers)
        {
            Assert.Equal(0, await scheduler.StopGracefullyAsync(TimeSpan.FromSeconds(40)));
        }

        var replacements = new[] { run.StartScheduler("scheduler-c", CompressedTimeout), run.StartScheduler("scheduler-d", CompressedTimeout) };
        await ClusterRun.WaitReadyAsync(replacements);
        var restartedAt = DateTime.UtcNow;
        var unfinished = (await run.UnfinishedJobsAsync()).Where(id => id != "restart-silent").ToList();
        output.WriteLine($"schedulers stopped at {stoppedAt:HH:mm:ss.fff}, replacements ready at {restartedAt:HH:mm:ss.fff}; {unfinished.Count} jobs unfinished then");

        // Then a worker, gracefully: what it holds is finished or handed back, and its replacement carries on.
        Assert.Equal(0, await topology.Workers[0].StopGracefullyAsync(TimeSpan.FromSeconds(40)));
        var workerC = run.StartWorker("worker-c", CompressedTimeout);
        await ClusterRun.WaitReadyAsync(workerC);

        var finished = await run.WaitForJobsAsync(jobIds, monitor, TimeSpan.FromMinutes(3));

        var silent = Assert.Single(finished, j => j.Id == "restart-silent");
        Assert.Equal("failed", silent.Status);
        Assert.Contains("VMA communication timeout exceeded", silent.ErrorMessage, StringComparison.Ordinal);
        Assert.True(silent.CompletedAt > restartedAt, $"the timeout fired at {silent.CompletedAt:O}, before the replacements were ready at {restartedAt:O}");
        var silentLog = (await run.Database.GetJobLogAsync()).Where(l => l.JobId == "restart-silent").ToList();
        Assert.Contains(silentLog, l => l.EventKind == "timeout" && l.Message == "VMA communication timeout exceeded");

        Assert.All(finished.Where(j => j.Id != "restart-silent"), j => Assert.Equal("completed", j.Status));
        var problems = await RunChecks.AllJobsAsync(run.Database, expectFailed: ["restart-silent"]);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(monitor.Regressions.Count == 0, "progress went backwards:\n" + string.Join('\n', monitor.Regressions));

        // Polls resumed under the new schedulers for every job still running then.
        var cadence = PollCadence.FromVmaLog(topology.Vma.LogFile);
        Assert.NotEmpty(unfinished);
        // A job the VMA finished before the restart, whose last observation was still on its way to the database
        // then, needs no poll afterwards.
        Assert.All(unfinished, id => Assert.True(
            cadence.Count(id, after: restartedAt) > 0 || finished.Single(j => j.Id == id).CompletedAt <= restartedAt,
            $"{id} was not polled after the restart"));

        var queues = await run.Management.GetQueuesAsync(run.VirtualHost);
        output.WriteLine("queues: " + string.Join("; ", queues));
        Assert.True(Assert.Single(queues, q => q.Name == "scheduler").Consumers >= 2);
        Assert.DoesNotContain(queues, RunChecks.HoldsFaultedMessages);
    }
}
