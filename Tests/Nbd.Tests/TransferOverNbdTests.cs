using Migration.Contracts.Status;

namespace Migration.Tests.Nbd;

/// <summary>
/// Whole jobs through the agent onto real nbdkit / qemu-nbd exports, checked with tools that are not ours:
/// nbdcopy the target to a file and cmp it with the source; nbdinfo --map for the holes left unwritten.
/// </summary>
public sealed class TransferOverNbdTests(NbdAgentFactory factory) : IClassFixture<NbdAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Theory]
    [InlineData("nbdkit", "demo-vm-3")]
    [InlineData("qemu-nbd", "demo-vm-6")]
    public async Task Full_then_incremental_leave_the_target_equal_to_the_source(string server, string vm)
    {
        var disks = factory.Inventory.GetVm(vm).Disks;
        var exports = new List<NbdServer>();
        try
        {
            foreach (var disk in disks)
            {
                var image = Path.Combine(NbdServer.NewDirectory(), disk.Id + ".img");
                using (var file = File.Create(image))
                {
                    file.SetLength(disk.CapacityBytes);
                }

                exports.Add(server == "nbdkit" ? await NbdServer.NbdkitAsync("file", "file=" + image) : await NbdServer.QemuNbdAsync(image));
            }

            var targets = disks.Select((d, i) => (d.Id, exports[i].Uri)).ToDictionary(t => t.Id, t => t.Uri);
            await _client.StartAsync($"{vm}-full", vm, targets);
            var full = await _client.WaitFinishedAsync($"{vm}-full");
            Assert.True(full.Status == VmaJobStatus.Succeeded, full.Error);
            Assert.Equal(full.Aggregate.TotalBytes, full.Aggregate.BytesTransferred);
            Assert.Equal(disks.Count, full.Nbd.Exports.Count);
            Assert.All(full.Nbd.Exports, e => Assert.False(e.Connected));
            Assert.Equal(exports.Select(e => e.Uri.ToString().Replace("nbd+unix:///?", "nbd+unix:///?", StringComparison.Ordinal)),
                full.Nbd.Exports.Select(e => e.Device!));

            for (var i = 0; i < disks.Count; i++)
            {
                await Tools.CmpAsync(factory.SourceImage(vm, disks[i].Id), await Tools.DumpAsync(exports[i].LibnbdUri, exports[i].Directory));
                // The unallocated half of the source was skipped on a target that read as zeros: nbdinfo sees holes there.
                var map = await Tools.MapAsync(exports[i].LibnbdUri);
                var data = map.Where(r => r.Type == "data").Sum(r => r.Length);
                var planned = full.Disks[i].PlannedBytes;
                Assert.True(data <= planned + (64 << 10), $"{data} data bytes on the target, {planned} planned");
                Assert.Contains(map, r => r.Type.Contains("hole", StringComparison.Ordinal));
            }

            var change = factory.Inventory.ChangeAreas(vm, areasPerDisk: 5, areaBytes: 192 << 10);
            await _client.StartAsync($"{vm}-incr", vm, targets, full.Disks.ToDictionary(d => d.Id, d => d.ChangeId!));
            var incremental = await _client.WaitFinishedAsync($"{vm}-incr");
            Assert.True(incremental.Status == VmaJobStatus.Succeeded, incremental.Error);
            Assert.Equal("incremental", incremental.Cbt.Type);
            Assert.Equal(change.TotalBytes, incremental.Aggregate.TotalBytes);
            Assert.Equal(change.TotalBytes, incremental.Aggregate.BytesTransferred);
            for (var i = 0; i < disks.Count; i++)
            {
                await Tools.CmpAsync(factory.SourceImage(vm, disks[i].Id), await Tools.DumpAsync(exports[i].LibnbdUri, exports[i].Directory));
            }
        }
        finally
        {
            foreach (var export in exports)
            {
                await export.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_server_killed_mid_transfer_is_reconnected_and_the_copy_finishes()
    {
        const string vm = "demo-vm-1";
        var image = Path.Combine(NbdServer.NewDirectory(), "disk-0.img");
        using (var file = File.Create(image))
        {
            file.SetLength(NbdAgentFactory.DiskSize);
        }

        // Slow writes (the delay filter) so the kill lands in the middle of the transfer: 32 writes, 8 in flight, about
        // 0.8 s in all, so that even a loaded machine's progress reads find it below 60 %.
        await using var export = await NbdServer.NbdkitAsync("--filter=delay", "file", "file=" + image, "delay-write=200ms", "delay-zero=200ms");
        await _client.StartAsync("reconnect-1", vm, new Dictionary<string, Uri> { ["disk-0"] = export.Uri });
        var moving = await _client.WaitAsync("reconnect-1", p => p.Aggregate.BytesTransferred > 0 && p.Aggregate.Percent < 60);
        await export.KillAsync();
        await Task.Delay(300);
        await export.StartAsync();

        var done = await _client.WaitFinishedAsync("reconnect-1");
        Assert.True(done.Status == VmaJobStatus.Succeeded, done.Error);
        Assert.Equal(done.Aggregate.TotalBytes, done.Aggregate.BytesTransferred);
        Assert.True(moving.Aggregate.BytesTransferred < done.Aggregate.TotalBytes);
        await Tools.CmpAsync(factory.SourceImage(vm, "disk-0"), await Tools.DumpAsync(export.LibnbdUri, export.Directory));
    }

    [Fact]
    public async Task Writes_a_crashed_server_acknowledged_but_never_flushed_are_sent_again()
    {
        const string vm = "demo-vm-2";
        var image = Path.Combine(NbdServer.NewDirectory(), "disk-0.img");
        using (var file = File.Create(image))
        {
            file.SetLength(NbdAgentFactory.DiskSize);
        }

        // The cache filter in writeback mode keeps written blocks until a FLUSH: a SIGKILL loses every acknowledged,
        // unflushed write, as a crashed server with a volatile cache does (the delay filter makes the kill land mid-copy,
        // slow enough for a loaded machine's progress reads, as in the reconnect test above).
        await using var export = await NbdServer.NbdkitAsync("--filter=delay", "--filter=cache", "file", "file=" + image,
            "cache=writeback", "delay-write=200ms", "delay-zero=200ms");
        await _client.StartAsync("replay-1", vm, new Dictionary<string, Uri> { ["disk-0"] = export.Uri });
        await _client.WaitAsync("replay-1", p => p.Aggregate.BytesTransferred > 0 && p.Aggregate.Percent < 60);
        await export.KillAsync();
        await Task.Delay(300);
        await export.StartAsync();

        var done = await _client.WaitFinishedAsync("replay-1");
        Assert.True(done.Status == VmaJobStatus.Succeeded, done.Error);
        Assert.Equal(done.Aggregate.TotalBytes, done.Aggregate.BytesTransferred);
        Assert.Contains(done.Notes ?? [], n => n.Kind == "target-replay");
        await Tools.CmpAsync(factory.SourceImage(vm, "disk-0"), await Tools.DumpAsync(export.LibnbdUri, export.Directory));
    }

    [Fact]
    public async Task A_server_error_fails_the_job_with_that_error()
    {
        const string vm = "demo-vm-4";
        await using var export = await NbdServer.NbdkitAsync("--filter=error", "memory", "size=8M", "error=ENOSPC", "error-pwrite-rate=100%");
        await _client.StartAsync("server-error-1", vm, new Dictionary<string, Uri> { ["disk-0"] = export.Uri });

        var failed = await _client.WaitFinishedAsync("server-error-1");

        Assert.Equal(VmaJobStatus.Failed, failed.Status);
        Assert.Contains("ENOSPC", failed.Error, StringComparison.Ordinal);
        Assert.Contains(export.SocketPath, failed.Error, StringComparison.Ordinal);
        Assert.Contains("WRITE at offset", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_advertises_block_sizes_gets_only_requests_that_obey_them()
    {
        const string vm = "demo-vm-7";
        var directory = NbdServer.NewDirectory();
        var image = Path.Combine(directory, "disk-0.img");
        using (var file = File.Create(image))
        {
            file.SetLength(NbdAgentFactory.DiskSize);
        }

        var log = Path.Combine(directory, "requests.log");
        // Any request outside 4 KiB alignment or over 64 KiB is answered EINVAL (and so would fail the job); the log
        // filter records every request for the assertions below.
        await using var export = await NbdServer.NbdkitAsync(
            "--filter=blocksize-policy", "--filter=log", "file", "file=" + image, "logfile=" + log,
            "blocksize-minimum=4096", "blocksize-preferred=16384", "blocksize-maximum=65536", "blocksize-error-policy=error");
        await _client.StartAsync("block-sizes-1", vm, new Dictionary<string, Uri> { ["disk-0"] = export.Uri });

        var done = await _client.WaitFinishedAsync("block-sizes-1");

        Assert.True(done.Status == VmaJobStatus.Succeeded, done.Error);
        // nbdcopy 1.14 itself reads in larger requests than this server allows, so the image behind the export is compared.
        await Tools.CmpAsync(factory.SourceImage(vm, "disk-0"), image);
        var writes = File.ReadAllLines(log).Where(l => l.Contains(" Write ", StringComparison.Ordinal) && l.Contains("count=", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(writes);
        foreach (var line in writes)
        {
            var offset = Convert.ToInt64(Field(line, "offset="), 16);
            var count = Convert.ToInt64(Field(line, "count="), 16);
            Assert.True(offset % 4096 == 0 && count % 4096 == 0 && count <= 65536, line);
        }
    }

    private static string Field(string line, string name)
    {
        var start = line.IndexOf(name, StringComparison.Ordinal) + name.Length;
        var end = line.IndexOf(' ', start);
        return line[start..(end < 0 ? line.Length : end)].Replace("0x", "", StringComparison.Ordinal);
    }
}
