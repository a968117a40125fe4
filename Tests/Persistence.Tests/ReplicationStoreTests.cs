using Microsoft.Extensions.DependencyInjection;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.SagaRepository;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

[Collection(DatabaseCollection.Name)]
public sealed class ReplicationStoreTests(TestDatabases fixture)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Disk_progress_and_bytes_never_go_backwards(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var store = services.GetRequiredService<IReplicationStore>();
        var queries = services.GetRequiredService<IJobQueries>();
        var jobId = TestJobs.NewJobId();

        await store.UpsertDisksAsync([Disk(jobId, "disk-0", StatusMapping.DiskSyncing, 50.25m, 500, at: 1)], None);
        await store.UpsertDisksAsync([Disk(jobId, "disk-0", StatusMapping.DiskSyncing, 30m, 300, at: 2)], None);
        var afterOlder = Assert.Single(await queries.GetDisksAsync(jobId, None));
        await store.UpsertDisksAsync([Disk(jobId, "disk-0", StatusMapping.DiskSyncing, 60.5m, 600, at: 3)], None);
        var afterNewer = Assert.Single(await queries.GetDisksAsync(jobId, None));

        Assert.Equal(50.25m, afterOlder.SyncProgressPercent);
        Assert.Equal(500, afterOlder.BytesSynced);
        Assert.Equal(60.5m, afterNewer.SyncProgressPercent);
        Assert.Equal(600, afterNewer.BytesSynced);
        Assert.Equal(1000, afterNewer.PlannedBytes);
        Assert.Equal("Hard disk 1", afterNewer.Label);
        Assert.Equal(TestJobs.Now.AddSeconds(3), afterNewer.UpdatedAt);
        Assert.Equal(3, services.GetRequiredService<PersistenceMetrics>().DiskUpserts);
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Completed_or_failed_disk_never_reopens_and_its_change_id_is_never_cleared(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var store = services.GetRequiredService<IReplicationStore>();
        var queries = services.GetRequiredService<IJobQueries>();
        var jobId = TestJobs.NewJobId();

        await store.UpsertDisksAsync(
        [
            Disk(jobId, "disk-0", StatusMapping.Completed, 100m, 1000, at: 1) with { DiskChangeId = "52 a1/10" },
            Disk(jobId, "disk-1", StatusMapping.Failed, 40m, 400, at: 1),
        ], None);
        // A late, out-of-order observation of both disks still streaming, without change ids.
        await store.UpsertDisksAsync(
        [
            Disk(jobId, "disk-1", StatusMapping.DiskSyncing, 20m, 200, at: 2) with { Label = null },
            Disk(jobId, "disk-0", StatusMapping.DiskSyncing, 90m, 900, at: 2) with { Label = null },
        ], None);
        await store.UpsertDisksAsync([Disk(jobId, "disk-0", StatusMapping.Failed, 100m, 1000, at: 3)], None);

        var disks = await queries.GetDisksAsync(jobId, None);
        Assert.Collection(
            disks,
            d =>
            {
                Assert.Equal("disk-0", d.DiskId);
                Assert.Equal(StatusMapping.Completed, d.SyncStatus);
                Assert.Equal(100m, d.SyncProgressPercent);
                Assert.Equal(1000, d.BytesSynced);
                Assert.Equal("52 a1/10", d.DiskChangeId);
                Assert.Equal("Hard disk 1", d.Label);
            },
            d =>
            {
                Assert.Equal("disk-1", d.DiskId);
                Assert.Equal(StatusMapping.Failed, d.SyncStatus);
                Assert.Equal(40m, d.SyncProgressPercent);
                Assert.Null(d.DiskChangeId);
            });
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Change_id_is_set_on_completion_of_a_streaming_disk(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var store = services.GetRequiredService<IReplicationStore>();
        var queries = services.GetRequiredService<IJobQueries>();
        var jobId = TestJobs.NewJobId();

        await store.UpsertDisksAsync([Disk(jobId, "disk-0", StatusMapping.DiskSyncing, 10m, 100, at: 1)], None);
        await store.UpsertDisksAsync([Disk(jobId, "disk-0", StatusMapping.Completed, 100m, 1000, at: 2) with { DiskChangeId = "52 a1/11" }], None);

        var disk = Assert.Single(await queries.GetDisksAsync(jobId, None));
        Assert.Equal(StatusMapping.Completed, disk.SyncStatus);
        Assert.Equal("52 a1/11", disk.DiskChangeId);
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task A_second_cbt_history_row_for_the_same_disk_is_ignored(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var store = services.GetRequiredService<IReplicationStore>();
        var queries = services.GetRequiredService<IJobQueries>();
        var jobId = TestJobs.NewJobId();
        var first = Cbt(jobId, "disk-0", 1000, success: true);

        await store.AddCbtHistoryAsync([first, Cbt(jobId, "disk-1", 2000, success: false)], None);
        await store.AddCbtHistoryAsync([first with { BytesTransferred = 5, SyncSuccess = false }], None);

        var rows = await queries.GetCbtHistoryAsync(jobId, None);
        Assert.Equal(2, rows.Count);
        var disk0 = rows.Single(r => r.DiskId == "disk-0");
        Assert.Equal(1000, disk0.BytesTransferred);
        Assert.True(disk0.SyncSuccess);
        Assert.Equal("52 a1/10", disk0.ChangeId);
        Assert.Equal("52 a1/9", disk0.PreviousChangeId);
        Assert.Equal("incremental", disk0.SyncType);
        Assert.Equal(17, disk0.BlocksChanged);
        Assert.Equal(42, disk0.SyncDurationSeconds);
        Assert.Equal(TestJobs.Now, disk0.CreatedAt);
        Assert.False(rows.Single(r => r.DiskId == "disk-1").SyncSuccess);
        Assert.Equal(2, services.GetRequiredService<PersistenceMetrics>().CbtHistoryInserts);
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Job_log_entries_with_the_same_dedupe_key_are_written_once(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var store = services.GetRequiredService<IReplicationStore>();
        var queries = services.GetRequiredService<IJobQueries>();
        var jobId = TestJobs.NewJobId();
        var otherJobId = TestJobs.NewJobId();
        var milestone = new JobLogEntry
        {
            JobId = jobId,
            CorrelationId = JobIdentity.ToCorrelationId(jobId),
            At = TestJobs.Now,
            EventKind = "milestone",
            Message = "50% transferred",
            DedupeKey = "milestone-50",
        };
        var poll = milestone with { EventKind = "poll-failed", Message = "VMA did not answer", Level = "Warning", DedupeKey = null };

        await store.AppendJobLogAsync(milestone, None);
        await store.AppendJobLogAsync(milestone with { At = TestJobs.Now.AddSeconds(5) }, None);
        await store.AppendJobLogAsync(poll, None);
        await store.AppendJobLogAsync(poll with { At = TestJobs.Now.AddSeconds(2) }, None);
        await store.AppendJobLogAsync(milestone with { JobId = otherJobId }, None);

        var log = await queries.GetJobLogAsync(jobId, None);
        Assert.Equal(["milestone", "poll-failed", "poll-failed"], log.Select(l => l.EventKind));
        Assert.Equal(TestJobs.Now, log[0].At);
        Assert.Equal("Information", log[0].Level);
        Assert.Equal("Warning", log[1].Level);
        Assert.Equal(JobIdentity.ToCorrelationId(jobId), log[0].CorrelationId);
        Assert.Single(await queries.GetJobLogAsync(otherJobId, None));
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Last_change_ids_are_the_newest_completed_per_disk_of_that_vm(DatabaseProvider provider)
    {
        await using var services = DatabaseServices.Services(await fixture.SharedAsync(provider));
        var store = services.GetRequiredService<IReplicationStore>();
        var repository = services.GetRequiredService<ReplicationStateRepository>();
        var vmName = $"vm-{Guid.NewGuid():N}";
        var fullSync = TestJobs.NewJobId("full");
        var incremental = TestJobs.NewJobId("incr");
        var otherVm = TestJobs.NewJobId("other");
        await TestJobs.InsertAsync(repository, TestJobs.NewState(fullSync, vmName, StatusMapping.Completed));
        await TestJobs.InsertAsync(repository, TestJobs.NewState(incremental, vmName, StatusMapping.Failed, TestJobs.Now.AddHours(1)));
        await TestJobs.InsertAsync(repository, TestJobs.NewState(otherVm, $"{vmName}-other", StatusMapping.Completed));

        await store.UpsertDisksAsync(
        [
            Disk(fullSync, "disk-0", StatusMapping.Completed, 100m, 1000, at: 10) with { DiskChangeId = "uuid-a/1" },
            Disk(fullSync, "disk-1", StatusMapping.Completed, 100m, 1000, at: 10) with { DiskChangeId = "uuid-b/1" },
        ], None);
        await store.UpsertDisksAsync(
        [
            Disk(incremental, "disk-0", StatusMapping.Completed, 100m, 1000, at: 3700) with { DiskChangeId = "uuid-a/2" },
            Disk(incremental, "disk-1", StatusMapping.Failed, 50m, 500, at: 3700),
        ], None);
        await store.UpsertDisksAsync([Disk(otherVm, "disk-0", StatusMapping.Completed, 100m, 1000, at: 9000) with { DiskChangeId = "uuid-z/9" }], None);

        var changeIds = await store.GetLastChangeIdsAsync(vmName, None);

        Assert.Equal(2, changeIds.Count);
        Assert.Equal("uuid-a/2", changeIds["disk-0"]);
        Assert.Equal("uuid-b/1", changeIds["disk-1"]);
        Assert.Empty(await store.GetLastChangeIdsAsync($"{vmName}-never-synced", None));
    }

    private static DiskRow Disk(string jobId, string diskId, string status, decimal percent, long bytes, int at) => new()
    {
        JobId = jobId,
        DiskId = diskId,
        Label = "Hard disk 1",
        SyncStatus = status,
        SyncProgressPercent = percent,
        BytesSynced = bytes,
        PlannedBytes = 1000,
        UpdatedAt = TestJobs.Now.AddSeconds(at),
    };

    private static CbtHistoryRow Cbt(string jobId, string diskId, long bytes, bool success) => new()
    {
        JobId = jobId,
        DiskId = diskId,
        ChangeId = "52 a1/10",
        PreviousChangeId = "52 a1/9",
        SyncType = "incremental",
        BlocksChanged = 17,
        BytesTransferred = bytes,
        SyncDurationSeconds = 42,
        SyncSuccess = success,
        CreatedAt = TestJobs.Now,
    };
}
