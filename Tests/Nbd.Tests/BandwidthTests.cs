using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using Migration.Contracts.Status;
using Migration.VmaAgent.Nbd;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;
using Microsoft.Extensions.Options;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Transfer;

namespace Migration.Tests.Nbd;

/// <summary>The bandwidth limit holds a copy onto a real export to its rate, and the job's throughput shows it.</summary>
/// <remarks>Timed, so it runs alone: not beside the other suites of this assembly.</remarks>
[Collection(nameof(BandwidthTests))]
public sealed class BandwidthTests(NbdAgentFactory factory) : IClassFixture<NbdAgentFactory>
{
    [Theory]
    [InlineData(0L)]
    [InlineData(64L << 20)]
    public async Task A_256_MiB_copy_limited_to_64_MiB_per_second_takes_4_seconds(long flushBehindBytes)
    {
        const long size = 256L << 20;
        await using var export = await NbdServer.NbdkitAsync("memory", "size=256M");
        await using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new Migration.VmaAgent.Telemetry.VmaMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TimeProvider.System);
        var provider = new NbdTargetProvider(Options.Create(new VmaOptions()), TimeProvider.System, metrics);
        await using var target = await provider.OpenAsync(export.Uri, size, fullSync: true, CancellationToken.None);
        await using var limiter = new BandwidthLimiter(64L << 20, 256 * 1024);
        long landed = 0;

        var clock = Stopwatch.StartNew();
        await TransferEngine.CopyAsync(new PatternDisk(size), target, [new DiskArea(0, size)], fullSync: true,
            new TransferSettings(256 * 1024, 16, TimeSpan.FromSeconds(5)) { FlushBehindBytes = flushBehindBytes }, limiter, bytes => Interlocked.Add(ref landed, bytes),
            TimeProvider.System, CancellationToken.None);
        clock.Stop();

        Assert.Equal(size, landed);
        // 4 s ± 5 % (the lower bound is the limiter's promise; the upper one needs a process not starved: a stall longer
        // than the bucket's 0.4 s of slack loses the rest of it, see the test projects' ThreadPoolMinThreads; and late refill
        // ticks lost rate before the limiter refilled by elapsed time). Flush-behind on or off: the copy does not wait
        // for its flushes.
        Assert.InRange(clock.Elapsed.TotalSeconds, 4.0 * 0.95, 4.0 * 1.05);
    }

    [Fact]
    public async Task A_jobs_bandwidth_limit_shows_in_its_throughput()
    {
        const string vm = "demo-vm-8";
        const long limit = 2L << 20;
        await using var export = await NbdServer.NbdkitAsync("memory", "size=8M");
        using var client = factory.CreateClient();
        await client.StartAsync("bandwidth-1", vm, new Dictionary<string, Uri> { ["disk-0"] = export.Uri }, bandwidth: limit);

        // Past the first second the 3-second moving average reflects the limit.
        var streaming = await client.WaitAsync("bandwidth-1", p => p.Status == VmaJobStatus.Streaming && p.Aggregate.BytesTransferred > limit * 3 / 2);
        var done = await client.WaitFinishedAsync("bandwidth-1");

        Assert.True(done.Status == VmaJobStatus.Succeeded, done.Error);
        // Never over the limit; below it only as far as a loaded machine falls behind.
        Assert.InRange(streaming.Aggregate.ThroughputBps, limit * 0.5, limit * 1.05);
        var seconds = (done.CompletedAt!.Value - done.StartedAt).TotalSeconds;
        Assert.True(seconds >= done.Aggregate.TotalBytes / (double)limit * 0.95, $"{done.Aggregate.TotalBytes} bytes in {seconds:0.00} s");
    }

    /// <summary>A fast source of non-zero bytes (so nothing is skipped as zeros).</summary>
    private sealed class PatternDisk(long size) : ISourceDisk
    {
        public string Id => "pattern";

        public long CapacityBytes => size;

        public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            buffer.Span.Fill((byte)(offset >> 18 | 1));
            return ValueTask.CompletedTask;
        }
    }
}

[CollectionDefinition(nameof(BandwidthTests), DisableParallelization = true)]
public sealed class BandwidthCollection;
