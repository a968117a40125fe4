using System.Net;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;

namespace Migration.Tests.VmaAgent;

/// <summary>Tests that watch jobs while they run: the agent is capped at 128 KiB/s per job, two jobs at once.</summary>
public sealed class RunningJobTests(SlowAgentFactory factory) : IClassFixture<SlowAgentFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Progress_moves_forward_while_running_and_never_goes_backwards()
    {
        await _client.StartAsync("watch-1", "demo-vm-2");
        var seen = new List<ReplicationProgress>();
        ReplicationProgress progress;
        do
        {
            progress = await _client.ProgressAsync("watch-1");
            seen.Add(progress);
            await Task.Delay(25);
        }
        while (!StatusMapping.IsTerminal(progress.Status) && seen.Count < 2000);

        Assert.Equal(VmaJobStatus.Succeeded, progress.Status);
        Assert.Contains(seen, p => p.Status == VmaJobStatus.Streaming && p.Aggregate.Percent is > 0 and < 100);
        Assert.Contains(seen, p => p.Status == VmaJobStatus.Streaming && p.Aggregate.ThroughputBps > 0);
        for (var i = 1; i < seen.Count; i++)
        {
            var (before, after) = (seen[i - 1], seen[i]);
            Assert.True(after.UpdatedAt >= before.UpdatedAt, "updated_at went backwards");
            Assert.True(after.Stage >= before.Stage, $"stage went back from {before.Stage} to {after.Stage}");
            Assert.True(after.Aggregate.BytesTransferred >= before.Aggregate.BytesTransferred, "aggregate bytes went backwards");
            Assert.True(after.Aggregate.Percent >= before.Aggregate.Percent, "aggregate percent went backwards");
            for (var d = 0; d < after.Disks.Count; d++)
            {
                Assert.True(after.Disks[d].BytesTransferred >= before.Disks[d].BytesTransferred, "disk bytes went backwards");
                Assert.True(after.Disks[d].Percent >= before.Disks[d].Percent, "disk percent went backwards");
            }
        }

        Assert.All(seen, p =>
        {
            Assert.Equal(p.Disks.Sum(d => d.PlannedBytes), p.Aggregate.TotalBytes);
            Assert.Equal(p.Disks.Sum(d => d.BytesTransferred), p.Aggregate.BytesTransferred);
            Assert.Equal(p.Disks.Sum(d => d.ThroughputBps), p.Aggregate.ThroughputBps);
        });
        Assert.Contains(seen, p => p.Stage == ReplicationStage.Transfer && p.Nbd.Exports.Count == 2 && p.Nbd.Exports.All(e => e.Connected));
        Assert.Equal(100.0, progress.Aggregate.Percent);
        Assert.Equal(progress.Aggregate.TotalBytes, progress.Aggregate.BytesTransferred);
        Assert.NotNull(progress.CompletedAt);
    }

    [Fact]
    public async Task A_streaming_job_estimates_its_remaining_time_and_a_finished_one_says_zero()
    {
        await _client.StartAsync("eta-1", "demo-vm-3");
        var seen = new List<ReplicationProgress>();
        ReplicationProgress progress;
        do
        {
            progress = await _client.ProgressAsync("eta-1");
            seen.Add(progress);
            await Task.Delay(50);
        }
        while (!StatusMapping.IsTerminal(progress.Status) && seen.Count < 1000);

        Assert.Equal(VmaJobStatus.Succeeded, progress.Status);
        Assert.Equal(0, progress.Aggregate.EtaSeconds);
        // While more than a tenth of a second remains: the estimate is rounded to tenths, so a document that counts
        // every byte, or the last few KiB at 128 KiB/s, rightly says 0.
        const long tenthOfASecondAtTheCap = 128 * 1024 / 10;
        var estimated = seen.Where(p => p.Status == VmaJobStatus.Streaming && p.Aggregate.EtaSeconds is not null
            && p.Aggregate.TotalBytes - p.Aggregate.BytesTransferred > tenthOfASecondAtTheCap).ToList();
        Assert.NotEmpty(estimated);
        Assert.All(estimated, p => Assert.True(p.Aggregate.EtaSeconds > 0, $"eta {p.Aggregate.EtaSeconds} s at {p.Aggregate.Percent} %"));

        // At a steady 128 KiB/s the estimate is near the truth; loose bounds, for a loaded machine.
        var finished = progress.CompletedAt!.Value;
        foreach (var p in estimated.Where(p => p.Aggregate.Percent is >= 30 and <= 80))
        {
            var actual = (finished - p.UpdatedAt).TotalSeconds;
            Assert.InRange(p.Aggregate.EtaSeconds!.Value, actual / 4, (actual * 4) + 1);
        }
    }

    [Fact]
    public async Task Writes_after_the_snapshot_do_not_reach_the_running_transfer()
    {
        const string vm = "demo-vm-4";
        var atSnapshot = factory.Inventory.ReadDisk(vm, "disk-0");
        await _client.StartAsync("frozen-1", vm);
        await _client.WaitAsync("frozen-1", p => p.Status == VmaJobStatus.Streaming);

        var change = factory.Inventory.ChangeAreas(vm, areasPerDisk: 8, seed: 21);
        var done = await _client.WaitFinishedAsync("frozen-1");

        Assert.Equal(VmaJobStatus.Succeeded, done.Status);
        Assert.NotEqual(change.Disks[0].ChangeIdAfter, done.Disks[0].ChangeId);
        var image = await File.ReadAllBytesAsync(Path.Combine(factory.TargetDirectory, vm, "disk-0.img"));
        Assert.True(atSnapshot.AsSpan().SequenceEqual(image), "the image must equal the disk at the snapshot");
        Assert.False(factory.Inventory.ReadDisk(vm, "disk-0").AsSpan().SequenceEqual(image));
    }

    [Fact]
    public async Task Cancel_ends_a_running_job_failed_with_an_error_saying_so()
    {
        await _client.StartAsync("cancel-1", "demo-vm-5");
        await _client.WaitAsync("cancel-1", p => p.Status == VmaJobStatus.Streaming && p.Aggregate.BytesTransferred > 0);

        var response = await _client.DeleteAsync("/api/v1/replications/cancel-1");
        var progress = await _client.WaitFinishedAsync("cancel-1");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(VmaJobStatus.Failed, progress.Status);
        Assert.Contains("cancelled", progress.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ReplicationStage.Transfer, progress.Stage);
        Assert.All(progress.Disks, d => Assert.Equal(VmaDiskStatus.Failed, d.Status));
        Assert.All(progress.Nbd.Exports, e => Assert.False(e.Connected));
        Assert.True(progress.Aggregate.Percent < 100);
        Assert.Equal(HttpStatusCode.Conflict, (await _client.DeleteAsync("/api/v1/replications/cancel-1")).StatusCode);
        Assert.False(File.Exists(Path.Combine(factory.TargetDirectory, "demo-vm-5", "disk-0.img")), "a cancelled full sync leaves no image");
    }

    [Fact]
    public async Task Jobs_beyond_the_concurrency_limit_wait_as_queued_and_can_be_cancelled_there()
    {
        await _client.StartAsync("busy-1", "demo-vm-7");
        await _client.StartAsync("busy-2", "demo-vm-8");
        await _client.StartAsync("queued-1", "demo-vm-10");

        var queued = await _client.ProgressAsync("queued-1");
        Assert.Equal(VmaJobStatus.Queued, queued.Status);
        Assert.All(queued.Disks, d => Assert.Equal(VmaDiskStatus.Queued, d.Status));

        Assert.Equal(HttpStatusCode.Accepted, (await _client.DeleteAsync("/api/v1/replications/queued-1")).StatusCode);
        var cancelled = await _client.WaitFinishedAsync("queued-1");
        Assert.Equal(VmaJobStatus.Failed, cancelled.Status);
        Assert.Contains("cancelled", cancelled.Error, StringComparison.OrdinalIgnoreCase);

        await _client.DeleteAsync("/api/v1/replications/busy-1");
        await _client.DeleteAsync("/api/v1/replications/busy-2");
        await _client.WaitFinishedAsync("busy-1");
        await _client.WaitFinishedAsync("busy-2");
    }
}
