using Migration.Contracts.Status;
using Migration.Oma.Persistence;
using Migration.Tests.Support;

namespace Migration.Tests.VSphere;

/// <summary>Full and incremental syncs of real simulator VMs through the whole system, checked byte for byte.</summary>
public sealed class ReplicationTests
{
    private const string Vm = "DC0_H0_VM0";

    [Fact]
    public async Task Full_then_incremental_of_a_two_disk_vm_moves_exactly_the_journals_areas_and_each_target_equals_its_source()
    {
        await using var h = await VSphereHarness.StartAsync();
        var disks = (await h.Sim.VmAsync(Vm)).Disks;
        Assert.Equal(2, disks.Count);
        await h.Sim.WriteAsync(Vm, disks[0].Key, 3 << 20, VcSim.Pattern(100_000, 1));
        await h.Sim.WriteAsync(Vm, disks[1].Key, (3 << 20) + 512, VcSim.Pattern(4096, 2));

        // Full: the allocated areas, never the capacity.
        var allocated = new Dictionary<string, long>();
        foreach (var disk in disks)
        {
            allocated[disk.Id] = (await h.Sim.AreasAsync(Vm, disk.Key, "*")).Bytes;
            Assert.True(allocated[disk.Id] < disk.Capacity);
        }

        var full = await h.RunAsync("vs-full-1", Vm);
        Assert.True(full.Status == StatusMapping.Completed, full.ErrorMessage);
        Assert.Equal("full", full.SyncType);
        Assert.Equal(allocated.Values.Sum(), full.TotalBytes);
        Assert.Equal(full.TotalBytes, full.BytesTransferred);
        await h.AssertTargetsEqualSourceAsync(Vm);
        var afterFull = (await h.Sim.VmAsync(Vm)).Disks;
        var rows = await h.Queries.GetDisksAsync("vs-full-1", default);
        var history = await h.Queries.GetCbtHistoryAsync("vs-full-1", default);
        foreach (var disk in afterFull)
        {
            Assert.Matches(@"^[0-9a-f ]{23}-[0-9a-f ]{23}/\d+$", disk.ChangeId);
            Assert.Equal(disk.ChangeId, rows.Single(r => r.DiskId == disk.Id).DiskChangeId);
            Assert.Equal(allocated[disk.Id], rows.Single(r => r.DiskId == disk.Id).PlannedBytes);
            var row = history.Single(r => r.DiskId == disk.Id);
            Assert.Equal((disk.ChangeId, "full", true), (row.ChangeId, row.SyncType, row.SyncSuccess));
        }

        // Incremental: exactly what the journal says changed since the full's change ids.
        await h.Sim.WriteAsync(Vm, disks[0].Key, 65536 * 5 + 100, VcSim.Pattern(70_000, 3));
        await h.Sim.WriteAsync(Vm, disks[0].Key, (7 << 20) - 4096, VcSim.Pattern(4096, 4));
        await h.Sim.WriteAsync(Vm, disks[1].Key, 0, VcSim.Pattern(10, 5));
        var changed = new Dictionary<string, long>();
        foreach (var disk in afterFull)
        {
            changed[disk.Id] = (await h.Sim.AreasAsync(Vm, disk.Key, disk.ChangeId)).Bytes;
        }

        Assert.Equal(65536 * 4, changed.Values.Sum()); // two blocks, one block, one block of the 64 KiB journal
        var incremental = await h.RunAsync("vs-incr-1", Vm);
        Assert.True(incremental.Status == StatusMapping.Completed, incremental.ErrorMessage);
        Assert.Equal("incremental", incremental.SyncType);
        Assert.Equal(changed.Values.Sum(), incremental.TotalBytes);
        await h.AssertTargetsEqualSourceAsync(Vm);
        var progress = await h.ProgressAsync("vs-incr-1");
        var afterIncremental = (await h.Sim.VmAsync(Vm)).Disks;
        var history2 = await h.Queries.GetCbtHistoryAsync("vs-incr-1", default);
        foreach (var disk in afterIncremental)
        {
            var before = afterFull.Single(d => d.Key == disk.Key);
            var document = progress.Disks.Single(d => d.Id == disk.Id);
            Assert.Equal((changed[disk.Id], "incremental", before.ChangeId, disk.ChangeId),
                (document.PlannedBytes, document.SyncType, document.PreviousChangeId, document.ChangeId));
            var row = history2.Single(r => r.DiskId == disk.Id);
            Assert.Equal((disk.ChangeId, before.ChangeId, "incremental"), (row.ChangeId, row.PreviousChangeId, row.SyncType));
            Assert.NotEqual(before.ChangeId, disk.ChangeId);
        }

        Assert.Empty(await h.Sim.SnapshotsAsync(Vm));
    }

    [Fact]
    public async Task A_vm_with_cbt_off_gets_it_enabled_the_job_succeeds_and_the_JobLog_says_so()
    {
        await using var h = await VSphereHarness.StartAsync();
        Assert.False((await h.Sim.VmAsync(Vm)).ChangeTrackingEnabled);

        var job = await h.RunAsync("vs-cbt-off", Vm);

        Assert.True(job.Status == StatusMapping.Completed, job.ErrorMessage);
        Assert.True((await h.Sim.VmAsync(Vm)).ChangeTrackingEnabled);
        var log = await h.Queries.GetJobLogAsync("vs-cbt-off", default);
        var entry = Assert.Single(log, l => l.EventKind == "vma-cbt-enabled");
        Assert.Contains("was off", entry.Message, StringComparison.Ordinal);
        Assert.Contains(Vm, entry.Message, StringComparison.Ordinal);
        Assert.All((await h.Sim.VmAsync(Vm)).Disks, d => Assert.NotEqual("", d.ChangeId));

        // Already on: nothing to enable, nothing logged.
        var again = await h.RunAsync("vs-cbt-on", Vm);
        Assert.Equal(StatusMapping.Completed, again.Status);
        Assert.DoesNotContain(await h.Queries.GetJobLogAsync("vs-cbt-on", default), l => l.EventKind == "vma-cbt-enabled");
    }

    [Fact]
    public async Task A_cbt_reset_between_two_syncs_gives_that_disk_a_full_sync_recorded_in_the_document_the_JobLog_and_cbt_history()
    {
        await using var h = await VSphereHarness.StartAsync();
        Assert.Equal(StatusMapping.Completed, (await h.RunAsync("vs-reset-1", Vm)).Status);
        var disks = (await h.Sim.VmAsync(Vm)).Disks;
        var (kept, reset) = (disks[0], disks[1]);
        await h.Sim.ResetCbtAsync(Vm, reset.Key);
        await h.Sim.WriteAsync(Vm, kept.Key, 1 << 20, VcSim.Pattern(8192, 6));
        await h.Sim.WriteAsync(Vm, reset.Key, 1 << 20, VcSim.Pattern(8192, 7));
        var allocated = (await h.Sim.AreasAsync(Vm, reset.Key, "*")).Bytes;

        var job = await h.RunAsync("vs-reset-2", Vm);

        Assert.True(job.Status == StatusMapping.Completed, job.ErrorMessage);
        await h.AssertTargetsEqualSourceAsync(Vm);
        var progress = await h.ProgressAsync("vs-reset-2");
        Assert.Equal("full", progress.Cbt.Type);
        var resetDoc = progress.Disks.Single(d => d.Id == reset.Id);
        Assert.Equal(("full", allocated), (resetDoc.SyncType, resetDoc.PlannedBytes));
        Assert.Contains(reset.ChangeId, resetDoc.FullSyncReason, StringComparison.Ordinal);
        Assert.Equal("incremental", progress.Disks.Single(d => d.Id == kept.Id).SyncType);

        var log = await h.Queries.GetJobLogAsync("vs-reset-2", default);
        var fallback = Assert.Single(log, l => l.EventKind == "vma-full-sync-fallback");
        Assert.Contains(reset.Id, fallback.Message, StringComparison.Ordinal);
        Assert.Equal("Warning", fallback.Level);

        var history = await h.Queries.GetCbtHistoryAsync("vs-reset-2", default);
        Assert.Equal("full", history.Single(r => r.DiskId == reset.Id).SyncType);
        Assert.Equal("incremental", history.Single(r => r.DiskId == kept.Id).SyncType);
        Assert.Equal("full", job.SyncType);
    }

    [Fact]
    public async Task Every_vim25_call_delayed_500_ms_still_completes()
    {
        await using var h = await VSphereHarness.StartAsync();
        await h.Sim.DelayAsync(TimeSpan.FromMilliseconds(500));

        var job = await h.RunAsync("vs-slow", Vm, timeout: TimeSpan.FromSeconds(150));

        Assert.True(job.Status == StatusMapping.Completed, job.ErrorMessage);
        await h.AssertTargetsEqualSourceAsync(Vm);
    }
}
