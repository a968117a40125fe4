using Migration.VmaAgent.Transfer;

namespace Migration.Tests.VmaAgent;

/// <summary>How often a job's bucket is refilled: often for fast copies, seldom for slow ones.</summary>
public sealed class BandwidthLimiterTests
{
    [Theory]
    [InlineData(64L << 20, 256 * 1024, 25)] // a fast copy: a request's worth every 3.9 ms, so the shortest period
    [InlineData(2L << 20, 256 * 1024, 25)] // 125 ms per request: a tenth is 12.5 ms, still the shortest
    [InlineData(1L << 20, 1 << 20, 100)] // 1 s per request: ten refills in it
    [InlineData(1024, 64 * 1024, 400)] // 64 s per request: no longer than the bucket's slack
    [InlineData(1024, 0, 25)] // no request size known: one byte
    public void The_refill_period_is_a_tenth_of_a_largest_request_between_25_and_400_ms(long bytesPerSecond, int largestRequest, int expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), BandwidthLimiter.RefillPeriodFor(bytesPerSecond, largestRequest));
    }

    [Fact]
    public async Task An_unlimited_limiter_has_no_refill_and_never_waits()
    {
        await using var limiter = new BandwidthLimiter(0, 256 * 1024);

        Assert.Equal(TimeSpan.Zero, limiter.RefillPeriod);
        Assert.True(limiter.WaitAsync(int.MaxValue, CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_slow_limiter_refills_seldom_and_still_grants_at_its_rate()
    {
        // 8 KiB/s with 4 KiB requests: a refill every 50 ms of a request's 500 ms. The bucket starts empty.
        await using var limiter = new BandwidthLimiter(8 * 1024, 4 * 1024);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await limiter.WaitAsync(4 * 1024, CancellationToken.None);
        await limiter.WaitAsync(4 * 1024, CancellationToken.None);

        Assert.Equal(TimeSpan.FromMilliseconds(50), limiter.RefillPeriod);
        // Never faster than the rate (the limiter's promise); the upper bound only catches a refill that never comes.
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.0 * 0.95, 5.0);
    }
}
