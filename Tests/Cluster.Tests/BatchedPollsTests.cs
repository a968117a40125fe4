using System.Globalization;
using Migration.Tests.Cluster.Infrastructure;
using Migration.Tests.Support;
using Xunit.Abstractions;

namespace Migration.Tests.Cluster;

/// <summary>
/// Batched polls on real RabbitMQ and PostgreSQL: with <c>Tracking:PollBatchSize</c> above 1 the sweep asks for a
/// VMA's due jobs in batches, the worker makes one <c>POST /api/v1/progress/batch</c> per batch, and every job still
/// completes exactly as with one poll per job.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BatchedPollsTests(ITestOutputHelper output)
{
    private const int JobCount = 20;

    [Fact]
    public async Task With_batched_polls_every_job_completes_and_the_VMA_serves_batch_requests()
    {
        await using var run = await ClusterRun.CreateAsync("batched", output);
        // Two spread slots: about ten of the 20 jobs due in each, so batches are full (5) and the fact below is far from its edge.
        var batched = new Dictionary<string, string> { ["Tracking__PollBatchSize"] = "5", ["Tracking__PollSpreadSlots"] = "2" };
        var vma = run.StartVma("vma", vmCount: JobCount, throughputCapPerJob: "1MiB");
        var worker = run.StartWorker("worker", batched);
        var scheduler = run.StartScheduler("scheduler", batched);
        await ClusterRun.WaitReadyAsync(vma, worker, scheduler);

        var jobs = ClusterRun.Jobs("batched", JobCount, vma.Url);
        var jobIds = jobs.Select(j => j.JobId).ToList();
        await run.PublishStartsAsync(jobs);
        var monitor = new ProgressMonitor();
        var finished = await run.WaitForJobsAsync(jobIds, monitor, TimeSpan.FromMinutes(2));

        Assert.Equal(JobCount, finished.Count(j => jobIds.Contains(j.Id)));
        Assert.All(finished, j => Assert.Equal("completed", j.Status));
        var problems = await RunChecks.AllJobsAsync(run.Database, expectFailed: []);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(monitor.Regressions.Count == 0, "progress went backwards:\n" + string.Join('\n', monitor.Regressions));

        // What the VMA itself counted: batch requests were made, and they carried more than one job each.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var metrics = await PrometheusText.ScrapeAsync(http, vma.Url);
        const string Requests = "http_server_request_duration_seconds_count";
        var batchRequests = metrics.Sum(Requests, "http_route=\"/api/v1/progress/batch\"", "http_response_status_code=\"200\"");
        var singleRequests = metrics.Sum(Requests, "http_route=\"/api/v1/progress/{jobId}\"");
        var documents = metrics.Sum("vma_progress_documents_total");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"VMA served {documents} progress documents in {batchRequests} batch requests and {singleRequests} single GETs; {monitor.Samples} samples"));
        Assert.True(batchRequests > 0, "the VMA served no batch progress request");
        Assert.True(documents > batchRequests + singleRequests, "the batches carried one job each: nothing was batched");

        var queues = await run.Management.GetQueuesAsync(run.VirtualHost);
        Assert.True(Assert.Single(queues, q => q.Name == "poll-progress-batch").Consumers >= 1, "the worker should consume batched polls");
        Assert.DoesNotContain(queues, RunChecks.HoldsFaultedMessages);
    }
}
