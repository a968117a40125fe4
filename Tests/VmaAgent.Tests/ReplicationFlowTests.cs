using System.Net;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;

namespace Migration.Tests.VmaAgent;

public sealed class ReplicationFlowTests(FastAgentFactory factory) : IClassFixture<FastAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Full_then_incremental_moves_allocated_then_changed_areas_and_images_equal_the_source()
    {
        const string vm = "demo-vm-3";
        var allocated = factory.Inventory.GetVm(vm).Disks.ToDictionary(d => d.Id, d => d.Current.AllocatedAreas().Sum(a => a.Length));

        Assert.Equal(HttpStatusCode.Accepted, (await _client.StartAsync("flow-full", vm)).StatusCode);
        var full = await _client.WaitFinishedAsync("flow-full");

        Assert.Equal(VmaJobStatus.Succeeded, full.Status);
        Assert.Equal("full", full.Cbt.Type);
        Assert.Equal(3, full.Disks.Count);
        foreach (var disk in full.Disks)
        {
            Assert.Equal(allocated[disk.Id], disk.PlannedBytes);
            Assert.True(disk.PlannedBytes < disk.CapacityBytes, "a sparse disk plans less than its capacity");
            Assert.Equal(disk.PlannedBytes, disk.BytesTransferred);
            Assert.Equal("full", disk.SyncType);
            Assert.Equal(VmaDiskStatus.Completed, disk.Status);
            Assert.Equal(100.0, disk.Percent);
        }

        AssertAggregateIsSumOfDisks(full);
        AssertImagesEqualSource(vm);

        var change = factory.Inventory.ChangeAreas(vm, areasPerDisk: 3, areaBytes: 10_000, seed: 11);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.StartAsync("flow-incr", vm, full.ChangeIds())).StatusCode);
        var incremental = await _client.WaitFinishedAsync("flow-incr");

        Assert.Equal(VmaJobStatus.Succeeded, incremental.Status);
        Assert.Equal("incremental", incremental.Cbt.Type);
        Assert.Equal(full.Disks[0].ChangeId, incremental.Cbt.PreviousChangeId);
        foreach (var disk in incremental.Disks)
        {
            var written = change.Disks.Single(d => d.DiskId == disk.Id);
            Assert.Equal("incremental", disk.SyncType);
            Assert.Equal(full.Disks.Single(d => d.Id == disk.Id).ChangeId, disk.PreviousChangeId);
            Assert.Equal(written.ChangeIdAfter, disk.ChangeId);
            Assert.Equal(written.Bytes, disk.PlannedBytes);
            Assert.Equal(written.Areas.Count, disk.BlocksChanged);
            Assert.Equal(disk.PlannedBytes, disk.BytesTransferred);
        }

        AssertAggregateIsSumOfDisks(incremental);
        AssertImagesEqualSource(vm);
    }

    [Fact]
    public async Task A_reset_change_id_falls_back_to_a_full_sync_for_that_disk()
    {
        const string vm = "demo-vm-6";
        await _client.StartAsync("reset-full", vm);
        var full = await _client.WaitFinishedAsync("reset-full");
        factory.Inventory.ChangeAreas(vm, areasPerDisk: 2, seed: 3);
        factory.Inventory.ResetChangeTracking(vm);

        await _client.StartAsync("reset-incr", vm, full.ChangeIds(), syncType: "incremental");
        var after = await _client.WaitFinishedAsync("reset-incr");

        Assert.Equal(VmaJobStatus.Succeeded, after.Status);
        Assert.Equal("full", after.Cbt.Type);
        Assert.All(after.Disks, disk =>
        {
            Assert.Equal("full", disk.SyncType);
            Assert.Null(disk.PreviousChangeId);
            Assert.Equal(factory.Inventory.GetDisk(vm, disk.Id).Current.AllocatedAreas().Sum(a => a.Length), disk.PlannedBytes);
            Assert.NotEqual(full.Disks.Single(d => d.Id == disk.Id).ChangeId!.Split('/')[0], disk.ChangeId!.Split('/')[0]);
        });
        AssertImagesEqualSource(vm);
    }

    [Fact]
    public async Task Only_the_disk_with_an_unknown_sequence_falls_back_to_full()
    {
        const string vm = "demo-vm-9";
        await _client.StartAsync("seq-full", vm);
        var full = await _client.WaitFinishedAsync("seq-full");
        var change = factory.Inventory.ChangeAreas(vm, areasPerDisk: 2, seed: 9);
        var ids = full.ChangeIds();
        var uuid = ids["disk-1"].Split('/')[0];
        ids["disk-1"] = $"{uuid}/999";

        await _client.StartAsync("seq-incr", vm, ids);
        var after = await _client.WaitFinishedAsync("seq-incr");

        Assert.Equal(VmaJobStatus.Succeeded, after.Status);
        Assert.Equal("full", after.Cbt.Type);
        Assert.Equal(["incremental", "full", "incremental"], after.Disks.Select(d => d.SyncType));
        Assert.Equal(change.Disks[0].Bytes, after.Disks[0].PlannedBytes);
        Assert.Equal(factory.Inventory.GetDisk(vm, "disk-1").Current.AllocatedAreas().Sum(a => a.Length), after.Disks[1].PlannedBytes);
        AssertAggregateIsSumOfDisks(after);
        AssertImagesEqualSource(vm);
    }

    [Fact]
    public async Task An_incremental_onto_a_missing_image_falls_back_to_full()
    {
        const string vm = "demo-vm-4";
        await _client.StartAsync("missing-full", vm);
        var full = await _client.WaitFinishedAsync("missing-full");
        factory.Inventory.ChangeAreas(vm, seed: 4);
        File.Delete(ImagePath(vm, "disk-0"));

        await _client.StartAsync("missing-incr", vm, full.ChangeIds());
        var after = await _client.WaitFinishedAsync("missing-incr");

        Assert.Equal(VmaJobStatus.Succeeded, after.Status);
        Assert.Equal("full", after.Disks[0].SyncType);
        AssertImagesEqualSource(vm);
    }

    [Fact]
    public async Task A_full_sync_overwrites_a_stale_image_entirely()
    {
        const string vm = "demo-vm-7";
        Directory.CreateDirectory(Path.GetDirectoryName(ImagePath(vm, "disk-0"))!);
        await File.WriteAllBytesAsync(ImagePath(vm, "disk-0"), Enumerable.Repeat((byte)0xAB, 1 << 20).ToArray());

        await _client.StartAsync("stale-full", vm, syncType: "full");
        var full = await _client.WaitFinishedAsync("stale-full");

        Assert.Equal(VmaJobStatus.Succeeded, full.Status);
        AssertImagesEqualSource(vm);
    }

    [Fact]
    public async Task An_explicit_file_target_receives_the_image_and_is_shown_as_the_export_device()
    {
        const string vm = "demo-vm-10";
        var path = Path.Combine(factory.TargetDirectory, "explicit", "vm10-disk0.img");
        var uri = new Uri(path).AbsoluteUri;

        await _client.StartAsync("""{"job_id":"explicit-1","vm":{"name":"VM"},"target":{"disks":{"disk-0":{"uri":"URI"}}}}"""
            .Replace("VM", vm, StringComparison.Ordinal).Replace("URI", uri, StringComparison.Ordinal));
        var progress = await _client.WaitFinishedAsync("explicit-1");

        Assert.Equal(VmaJobStatus.Succeeded, progress.Status);
        var export = Assert.Single(progress.Nbd.Exports);
        Assert.Equal("job-explicit-1-disk-0", export.Name);
        Assert.Equal(path, export.Device);
        Assert.NotNull(export.StartedAt);
        Assert.Equal(factory.Inventory.ReadDisk(vm, "disk-0"), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task An_incremental_with_nothing_changed_plans_zero_bytes_and_ends_at_100_percent()
    {
        const string vm = "demo-vm-1";
        await _client.StartAsync("empty-full", vm);
        var full = await _client.WaitFinishedAsync("empty-full");

        await _client.StartAsync("empty-incr", vm, full.ChangeIds());
        var after = await _client.WaitFinishedAsync("empty-incr");

        Assert.Equal(VmaJobStatus.Succeeded, after.Status);
        Assert.Equal("incremental", after.Cbt.Type);
        Assert.Equal(0, after.Aggregate.TotalBytes);
        Assert.Equal(100.0, after.Aggregate.Percent);
        Assert.All(after.Disks, d => Assert.Equal(100.0, d.Percent));
        Assert.Equal(full.Disks[0].ChangeId, after.Disks[0].ChangeId);
    }

    private string ImagePath(string vm, string diskId) => Path.Combine(factory.TargetDirectory, vm, diskId + ".img");

    private void AssertImagesEqualSource(string vm)
    {
        foreach (var disk in factory.Inventory.GetVm(vm).Disks)
        {
            var image = File.ReadAllBytes(ImagePath(vm, disk.Id));
            var source = factory.Inventory.ReadDisk(vm, disk.Id);
            Assert.Equal(source.Length, image.Length);
            Assert.True(source.AsSpan().SequenceEqual(image), $"{vm}/{disk.Id}: the image differs from the source");
        }
    }

    private static void AssertAggregateIsSumOfDisks(ReplicationProgress progress)
    {
        Assert.Equal(progress.Disks.Sum(d => d.PlannedBytes), progress.Aggregate.TotalBytes);
        Assert.Equal(progress.Disks.Sum(d => d.BytesTransferred), progress.Aggregate.BytesTransferred);
        Assert.Equal(progress.Disks.Sum(d => d.ThroughputBps), progress.Aggregate.ThroughputBps);
    }
}
