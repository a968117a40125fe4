using Microsoft.Extensions.Logging;
using Migration.Cli.Commands;
using Migration.Cli.Embedded;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.Saga;

namespace Migration.Tests.EndToEnd;

/// <summary>
/// One replication all the way, StartReplication to completed rows and identical target images, with every interval
/// compressed. Subclasses pick the bus and database: the embedded defaults, or RabbitMQ and PostgreSQL.
/// </summary>
public abstract class PipelineSuite : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "e2e-" + Guid.NewGuid().ToString("N"));

    protected string TargetDirectory => Path.Combine(_root, "targets");

    protected string Root => _root;

    /// <summary>The bus and database of this suite (and anything else it needs).</summary>
    protected abstract Task<Dictionary<string, string?>> InfrastructureAsync();

    protected Dictionary<string, string?> Compressed() => new()
    {
        ["Vma:Simulated:VmCount"] = "3",
        ["Vma:Simulated:DiskSize"] = "2MiB",
        ["Vma:Simulated:BlockSize"] = "4KiB",
        ["Vma:Simulated:ExtentSize"] = "64KiB",
        ["Vma:Jobs:StageDelay"] = "00:00:00.050",
        ["Vma:Jobs:ThroughputCapPerJob"] = "2MiB",
        ["Vma:Jobs:ChunkSize"] = "64KiB",
        ["Vma:Target:Directory"] = TargetDirectory,
        ["Tracking:PollInterval"] = "00:00:00.200",
        ["Tracking:WriteMinInterval"] = "00:00:00.200",
        ["Tracking:MaxPollInterval"] = "00:00:01",
        ["Tracking:PollStaleAfter"] = "00:00:01",
        ["Tracking:ContactTimeout"] = "00:00:15",
        ["VmaClient:MaxRetryAttempts"] = "0",
    };

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        return Task.CompletedTask;
    }

    public virtual Task DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still mapped by a stopping process: the OS temp cleaner takes it.
        }

        return Task.CompletedTask;
    }

    protected async Task<EmbeddedSystem> StartSystemAsync(Dictionary<string, string?>? extra = null)
    {
        var settings = Compressed();
        foreach (var (key, value) in await InfrastructureAsync())
        {
            settings[key] = value;
        }

        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        // MIGRATION_TEST_LOG=1 shows the system's own log lines while a test runs.
        return await EmbeddedSystem.StartAsync(settings, logging: Environment.GetEnvironmentVariable("MIGRATION_TEST_LOG") == "1"
            ? b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information)
            : null);
    }

    [Fact]
    public async Task Full_then_incremental_replicates_every_disk_and_records_every_change_id()
    {
        await using var system = await StartSystemAsync();
        var vms = new[] { "demo-vm-1", "demo-vm-2" };
        var run = Guid.NewGuid().ToString("N")[..8];

        foreach (var vm in vms)
        {
            await system.StartReplicationAsync($"{run}-{vm}-full", vm, SyncType.Full);
        }

        var full = await system.WaitForJobsAsync(vms.Select(vm => $"{run}-{vm}-full").ToList(), TimeSpan.FromSeconds(90));
        Assert.All(full, j => Assert.True(j.Status == StatusMapping.Completed, $"{j.Id}: {j.Status} {j.ErrorMessage}"));
        Assert.Empty(TargetCheck.Compare(system.Inventory, TargetDirectory, vms));

        var changed = vms.ToDictionary(vm => vm, vm => system.Inventory.ChangeAreas(vm));
        foreach (var vm in vms)
        {
            await system.StartReplicationAsync($"{run}-{vm}-incr", vm, SyncType.Incremental);
        }

        var incremental = await system.WaitForJobsAsync(vms.Select(vm => $"{run}-{vm}-incr").ToList(), TimeSpan.FromSeconds(90));
        Assert.All(incremental, j => Assert.True(j.Status == StatusMapping.Completed, $"{j.Id}: {j.Status} {j.ErrorMessage}"));
        Assert.Empty(TargetCheck.Compare(system.Inventory, TargetDirectory, vms));

        foreach (var vm in vms)
        {
            var fullJob = full.Single(j => j.VmName == vm);
            var incrJob = incremental.Single(j => j.VmName == vm);
            var diskCount = system.Inventory.GetVm(vm).Disks.Count;

            foreach (var job in new[] { fullJob, incrJob })
            {
                var disks = await system.Queries.GetDisksAsync(job.Id, default);
                Assert.Equal(diskCount, disks.Count);
                Assert.Equal(job.TotalBytes, job.BytesTransferred);
                Assert.Equal(disks.Sum(d => d.PlannedBytes), job.TotalBytes);
                Assert.All(disks, d => Assert.Equal(StatusMapping.Completed, d.SyncStatus));
                Assert.All(disks, d => Assert.False(string.IsNullOrEmpty(d.DiskChangeId)));
                Assert.All(disks, d => Assert.Equal(d.PlannedBytes, d.BytesSynced));
                Assert.Equal(100m, job.ProgressPercent);
            }

            Assert.Equal("full", fullJob.SyncType);
            Assert.Equal("incremental", incrJob.SyncType);
            Assert.Equal(changed[vm].TotalBytes, incrJob.BytesTransferred);
            Assert.True(incrJob.TotalBytes < fullJob.TotalBytes);

            var fullHistory = await system.Queries.GetCbtHistoryAsync(fullJob.Id, default);
            var incrHistory = await system.Queries.GetCbtHistoryAsync(incrJob.Id, default);
            Assert.Equal(diskCount, fullHistory.Count);
            Assert.Equal(diskCount, incrHistory.Count);
            Assert.All(fullHistory, h => Assert.Equal(("full", true, (string?)null), (h.SyncType, h.SyncSuccess, h.PreviousChangeId)));
            var fullDisks = await system.Queries.GetDisksAsync(fullJob.Id, default);
            foreach (var h in incrHistory)
            {
                Assert.Equal("incremental", h.SyncType);
                Assert.True(h.SyncSuccess);
                Assert.Equal(fullDisks.Single(d => d.DiskId == h.DiskId).DiskChangeId, h.PreviousChangeId);
                Assert.Equal(changed[vm].Disks.Single(d => d.DiskId == h.DiskId).ChangeIdAfter, h.ChangeId);
                Assert.Equal(changed[vm].Disks.Single(d => d.DiskId == h.DiskId).Bytes, h.BytesTransferred);
            }

            var log = await system.Queries.GetJobLogAsync(incrJob.Id, default);
            Assert.Contains(log, l => l.Message == JobLog.StartingPolling);
            Assert.Contains(log, l => l.Message == JobLog.CompletedStopping);
            Assert.Contains(log, l => l.Message == JobLog.StoppedPolling);
            Assert.Equal(9, log.Count(l => l.EventKind == "stage"));
            var milestones = log.Where(l => l.EventKind == "milestone").Select(l => l.Message).ToList();
            Assert.Equal(["Progress reached 25%", "Progress reached 50%", "Progress reached 75%", "Progress reached 100%"], milestones);
        }
    }

    [Fact]
    public async Task A_VMA_that_stops_answering_fails_its_job_by_the_timeout_and_nothing_else_breaks()
    {
        await using var system = await StartSystemAsync();
        var settings = Compressed();
        settings["Vma:Target:Directory"] = Path.Combine(Root, "silent-targets");
        settings["Vma:Jobs:ThroughputCapPerJob"] = "256KiB";
        await using var silent = await StandaloneVma.StartAsync(settings);
        var run = Guid.NewGuid().ToString("N")[..8];

        await system.StartReplicationAsync($"{run}-silent", "demo-vm-1", SyncType.Full, silent.Url);
        await system.WaitForAsync($"{run}-silent", j => j.Status == StatusMapping.Streaming, TimeSpan.FromSeconds(30));
        await silent.StopAsync();

        await system.StartReplicationAsync($"{run}-healthy", "demo-vm-3", SyncType.Full);
        var jobs = await system.WaitForJobsAsync([$"{run}-silent", $"{run}-healthy"], TimeSpan.FromSeconds(60));

        var failed = jobs.Single(j => j.Id == $"{run}-silent");
        Assert.Equal(StatusMapping.Failed, failed.Status);
        Assert.StartsWith(JobLog.ContactTimeoutExceeded, failed.ErrorMessage);
        Assert.Null(failed.NextPollAt);
        var history = await system.Queries.GetCbtHistoryAsync(failed.Id, default);
        Assert.NotEmpty(history);
        Assert.All(history, h => Assert.False(h.SyncSuccess));
        var log = await system.Queries.GetJobLogAsync(failed.Id, default);
        Assert.Contains(log, l => l.Message == JobLog.ContactTimeoutExceeded && l.Level == "Error");
        Assert.Contains(log, l => l.EventKind == "poll-failed");

        var healthy = jobs.Single(j => j.Id == $"{run}-healthy");
        Assert.Equal(StatusMapping.Completed, healthy.Status);
        Assert.Empty(TargetCheck.Compare(system.Inventory, TargetDirectory, ["demo-vm-3"]));
    }
}

/// <summary>The embedded defaults: in-memory bus, SQLite file.</summary>
public sealed class EmbeddedPipelineTests : PipelineSuite
{
    protected override Task<Dictionary<string, string?>> InfrastructureAsync() => Task.FromResult(new Dictionary<string, string?>
    {
        ["Bus:Transport"] = "InMemory",
        ["Database:Provider"] = "Sqlite",
        ["Database:ConnectionString"] = $"Data Source={Path.Combine(Root, "e2e.db")}",
    });
}
