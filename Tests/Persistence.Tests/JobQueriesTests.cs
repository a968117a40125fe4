using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.SagaRepository;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

[Collection(DatabaseCollection.Name)]
public sealed class JobQueriesTests(TestDatabases fixture)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Seed_monitoring_queries_report_active_jobs_recent_cbt_history_and_health(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.FreshAsync(provider));
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var store = services.GetRequiredService<IReplicationStore>();
        var queries = services.GetRequiredService<IJobQueries>();
        var now = TestJobs.Now;
        await TestJobs.InsertAsync(repository, Job("pending", StatusMapping.Pending, now.AddMinutes(-1), progress: 0m));
        await TestJobs.InsertAsync(repository, Job("streaming", StatusMapping.Streaming, now.AddMinutes(-2), progress: 37.5m));
        await TestJobs.InsertAsync(repository, Job("snapshotting", StatusMapping.Snapshotting, now.AddMinutes(-3), progress: 0m));
        await TestJobs.InsertAsync(repository, Job("done", StatusMapping.Completed, now.AddMinutes(-4), progress: 100m));
        await TestJobs.InsertAsync(repository, Job("broken", StatusMapping.Failed, now.AddMinutes(-5), progress: 12m));
        await TestJobs.InsertAsync(repository, Job("old-done", StatusMapping.Completed, now.AddHours(-30), progress: 100m));
        await store.AddCbtHistoryAsync(
        [
            Cbt("done", "disk-0", now.AddMinutes(-4)),
            Cbt("done", "disk-1", now.AddMinutes(-3)),
            Cbt("broken", "disk-0", now.AddMinutes(-5)),
        ], None);

        var active = await queries.GetActiveJobsAsync(None);
        var recent = await queries.GetRecentCbtHistoryAsync(2, None);
        var health = await queries.GetHealthAsync(now.AddHours(-24), None);

        Assert.Equal(["pending", "streaming", "snapshotting"], active.Select(a => a.Id));
        var streaming = active[1];
        Assert.Equal(StatusMapping.Streaming, streaming.Status);
        Assert.Equal("Transfer", streaming.CurrentOperation);
        Assert.Equal(37.5m, streaming.ProgressPercent);
        Assert.Equal(now.AddMinutes(-2), streaming.UpdatedAt);
        Assert.Equal([("done", "disk-1"), ("done", "disk-0")], recent.Select(r => (r.JobId, r.DiskId)));
        Assert.Equal(new JobHealth(TotalJobs: 5, Completed: 1, Failed: 1), health);
        Assert.Equal(new JobHealth(0, 0, 0), await queries.GetHealthAsync(now.AddHours(1), None));
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Due_polls_are_active_jobs_whose_next_poll_has_come_oldest_first_up_to_the_limit(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.FreshAsync(provider));
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var queries = services.GetRequiredService<IJobQueries>();
        var now = TestJobs.Now;
        await TestJobs.InsertAsync(repository, Due("due-2s-ago", StatusMapping.Streaming, now.AddSeconds(-2)));
        await TestJobs.InsertAsync(repository, Due("due-now", StatusMapping.Pending, now));
        await TestJobs.InsertAsync(repository, Due("due-9s-ago", StatusMapping.Finalizing, now.AddSeconds(-9)));
        await TestJobs.InsertAsync(repository, Due("due-5s-ago", StatusMapping.Preparing, now.AddSeconds(-5)));
        await TestJobs.InsertAsync(repository, Due("not-yet", StatusMapping.Streaming, now.AddSeconds(1)));
        await TestJobs.InsertAsync(repository, Due("completed", StatusMapping.Completed, now.AddSeconds(-60)));
        await TestJobs.InsertAsync(repository, Due("failed", StatusMapping.Failed, now.AddSeconds(-60)));
        await TestJobs.InsertAsync(repository, Due("never-scheduled", StatusMapping.Streaming, null));

        var all = await queries.GetDuePollsAsync(now, 100, None);
        var firstThree = await queries.GetDuePollsAsync(now, 3, None);

        Assert.Equal(["due-9s-ago", "due-5s-ago", "due-2s-ago", "due-now"], all.Select(d => d.JobId));
        Assert.Equal(["due-9s-ago", "due-5s-ago", "due-2s-ago"], firstThree.Select(d => d.JobId));
        Assert.All(all, d => Assert.Equal("https://vma.example:443", d.VmaUrl));
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Job_views_carry_every_column_newest_job_first(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.FreshAsync(provider));
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var queries = services.GetRequiredService<IJobQueries>();
        var state = TestJobs.NewState("job-full", "vm-db-02", StatusMapping.Failed);
        state.CurrentOperation = "Transfer";
        state.ProgressPercent = 99.99m;
        state.BytesTransferred = 123_456_789_012;
        state.TotalBytes = 223_456_789_012;
        state.TransferSpeedBps = 98_765_432;
        state.ErrorMessage = "VMA communication timeout exceeded";
        state.SyncType = "incremental";
        state.StartedAt = TestJobs.Now.AddSeconds(1);
        state.CompletedAt = TestJobs.Now.AddMinutes(9);
        state.LastContactAt = TestJobs.Now.AddMinutes(4);
        state.ConsecutivePollFailures = 3;
        state.Version = 7;
        await TestJobs.InsertAsync(repository, state);
        await TestJobs.InsertAsync(repository, TestJobs.NewState("job-newer", createdAt: TestJobs.Now.AddMinutes(1)));

        var job = await queries.GetJobAsync("job-full", None);
        var jobs = await queries.GetJobsAsync(10, None);

        Assert.NotNull(job);
        Assert.Equal(
            new JobView
            {
                Id = "job-full",
                Status = StatusMapping.Failed,
                CurrentOperation = "Transfer",
                ProgressPercent = 99.99m,
                BytesTransferred = 123_456_789_012,
                TotalBytes = 223_456_789_012,
                TransferSpeedBps = 98_765_432,
                ErrorMessage = "VMA communication timeout exceeded",
                VmName = "vm-db-02",
                VmaUrl = "https://vma.example:443",
                SyncType = "incremental",
                CreatedAt = TestJobs.Now,
                UpdatedAt = TestJobs.Now,
                StartedAt = TestJobs.Now.AddSeconds(1),
                CompletedAt = TestJobs.Now.AddMinutes(9),
                LastContactAt = TestJobs.Now.AddMinutes(4),
                NextPollAt = null,
                ConsecutivePollFailures = 3,
                Version = 7,
            },
            job);
        Assert.Equal(["job-newer", "job-full"], jobs.Select(j => j.Id));
        Assert.Null(await queries.GetJobAsync("no-such-job", None));
    }

    private static OmaWorkers.Saga.ReplicationState Job(string id, string status, DateTimeOffset at, decimal progress)
    {
        var state = TestJobs.NewState(id, status: status, createdAt: at);
        state.ProgressPercent = progress;
        state.CurrentOperation = "Transfer";
        return state;
    }

    private static OmaWorkers.Saga.ReplicationState Due(string id, string status, DateTimeOffset? nextPollAt)
    {
        var state = TestJobs.NewState(id, status: status);
        state.NextPollAt = nextPollAt;
        return state;
    }

    private static CbtHistoryRow Cbt(string jobId, string diskId, DateTimeOffset at) => new()
    {
        JobId = jobId,
        DiskId = diskId,
        ChangeId = "52 a1/3",
        SyncType = "full",
        BytesTransferred = 4096,
        SyncDurationSeconds = 3,
        SyncSuccess = true,
        CreatedAt = at,
    };
}
