using System.Globalization;
using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>The clean run: two workers and two schedulers, as separate processes, replicate 50 jobs on RabbitMQ and PostgreSQL.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FiftyJobsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_workers_and_two_schedulers_complete_fifty_jobs_exactly_once_at_a_two_second_cadence()
    {
        await using var run = await ClusterRun.CreateAsync("fifty", output);
        var vma = run.StartVma("vma", vmCount: 50, throughputCapPerJob: "320KiB");
        // The real poll interval: the cadence is measured at 2 s, not at a compressed value.
        var workers = new[] { run.StartWorker("worker-a"), run.StartWorker("worker-b") };
        var schedulers = new[] { run.StartScheduler("scheduler-a"), run.StartScheduler("scheduler-b") };
        await ClusterRun.WaitReadyAsync([vma, .. workers, .. schedulers]);

        var jobs = Enumerable.Range(1, 50)
            .Select(n => (JobId: $"fifty-{n:D2}", VmName: $"demo-vm-{n.ToString(CultureInfo.InvariantCulture)}", VmaUrl: vma.Url))
            .ToList();
        var jobIds = jobs.Select(j => j.JobId).ToList();
        var started = DateTime.UtcNow;
        await run.PublishStartsAsync(jobs);

        var monitor = new ProgressMonitor();
        var finished = await run.WaitForJobsAsync(jobIds, monitor, TimeSpan.FromMinutes(3));
        var elapsed = DateTime.UtcNow - started;

        // Every job completed, each once, and every table agrees with it.
        Assert.Equal(50, finished.Count);
        Assert.All(finished, j => Assert.Equal("completed", j.Status));
        var problems = await RunChecks.AllJobsAsync(run.Database, expectFailed: []);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(monitor.Regressions.Count == 0, "progress went backwards:\n" + string.Join('\n', monitor.Regressions));

        // Each job's progress was asked for about every 2 s: not twice per interval (two schedulers), not every other.
        var cadence = PollCadence.FromVmaLog(vma.LogFile);
        var intervals = cadence.Intervals(jobIds);
        var median = PollCadence.Percentile(intervals, 50);
        var p90 = PollCadence.Percentile(intervals, 90);
        output.WriteLine(FormattableString.Invariant(
            $"50 jobs in {elapsed.TotalSeconds:F1} s; {intervals.Count} poll intervals: median {median:F2} s, p10 {PollCadence.Percentile(intervals, 10):F2} s, p90 {p90:F2} s, max {intervals.Max():F2} s; {monitor.Samples} samples"));
        Assert.InRange(median, 1.7, 2.5);
        Assert.InRange(PollCadence.Percentile(intervals, 10), 1.0, 2.5);
        Assert.True(p90 < 3.5, FormattableString.Invariant($"p90 poll interval {p90:F2} s"));

        // What an operator sees in the management UI: our queues, each with a consumer in both workers, nothing stuck.
        var queues = await run.Management.GetQueuesAsync(run.VirtualHost);
        output.WriteLine("queues: " + string.Join("; ", queues));
        foreach (var name in new[] { "replication-state", "poll-progress", "start-vma-replication", "cancel-vma-replication" })
        {
            var queue = Assert.Single(queues, q => q.Name == name);
            Assert.True(queue.Consumers >= 2, $"{queue} should have a consumer in each worker");
        }

        Assert.True(Assert.Single(queues, q => q.Name == "scheduler").Consumers >= 2, "the scheduler queue should have a consumer in each scheduler");
        Assert.DoesNotContain(queues, RunChecks.HoldsFaultedMessages);

        // Graceful shutdown: every host stops on SIGTERM with exit code 0 and nothing is left unacknowledged.
        foreach (var process in workers.Concat(schedulers))
        {
            Assert.Equal(0, await process.StopGracefullyAsync(TimeSpan.FromSeconds(40)));
        }
    }
}
