using Microsoft.Extensions.Time.Testing;
using Migration.VmaAgent.Transfer;

namespace Migration.Tests.VmaAgent;

/// <summary>The ETA's moving median: steady rates exactly, short dips ignored, lasting changes followed (sooner with a change threshold), stalls seen.</summary>
public sealed class MedianThroughputMeterTests
{
    [Fact]
    public void A_steady_rate_is_measured_exactly()
    {
        var (clock, meter) = Meter();
        Run(clock, meter, 0, seconds: 5, bytesPerSecond: 1000);
        Assert.Equal(1000, meter.BytesPerSecond(), 6);
    }

    [Fact]
    public void A_dip_shorter_than_half_the_window_leaves_the_median_alone()
    {
        var (clock, meter) = Meter();
        var bytes = Run(clock, meter, 0, seconds: 6, bytesPerSecond: 1000);
        bytes = Run(clock, meter, bytes, seconds: 3, bytesPerSecond: 100);
        Run(clock, meter, bytes, seconds: 2, bytesPerSecond: 1000);
        Assert.Equal(1000, meter.BytesPerSecond(), 6);
    }

    [Fact]
    public void A_lasting_change_is_followed_within_about_half_the_window()
    {
        var (clock, meter) = Meter();
        var bytes = Run(clock, meter, 0, seconds: 10, bytesPerSecond: 1000);
        Run(clock, meter, bytes, seconds: 7, bytesPerSecond: 500);
        Assert.Equal(500, meter.BytesPerSecond(), 6);
    }

    [Fact]
    public void A_transfer_that_stops_shows_as_stopped_once_most_of_the_window_is_idle()
    {
        var (clock, meter) = Meter();
        Run(clock, meter, 0, seconds: 4, bytesPerSecond: 1000);
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.InRange(meter.BytesPerSecond(), 0, 20);
    }

    [Fact]
    public void With_a_change_threshold_a_lasting_change_is_followed_after_that_many_seconds()
    {
        var (clock, meter) = Meter(changeAfter: TimeSpan.FromSeconds(3));
        var bytes = Run(clock, meter, 0, seconds: 10, bytesPerSecond: 1000);
        bytes = Run(clock, meter, bytes, seconds: 2, bytesPerSecond: 2000);
        Assert.Equal(1000, meter.BytesPerSecond(), 6); // two seconds: could still be a burst
        Run(clock, meter, bytes, seconds: 2, bytesPerSecond: 2000);
        Assert.Equal(2000, meter.BytesPerSecond(), 6);
    }

    [Fact]
    public void With_a_change_threshold_a_shorter_dip_leaves_the_median_alone()
    {
        var (clock, meter) = Meter(changeAfter: TimeSpan.FromSeconds(3));
        var bytes = Run(clock, meter, 0, seconds: 6, bytesPerSecond: 1000);
        bytes = Run(clock, meter, bytes, seconds: 2, bytesPerSecond: 250);
        Assert.Equal(1000, meter.BytesPerSecond(), 6);
        Run(clock, meter, bytes, seconds: 2, bytesPerSecond: 1000);
        Assert.Equal(1000, meter.BytesPerSecond(), 6);
    }

    [Fact]
    public void With_a_change_threshold_a_stall_shows_after_that_many_seconds()
    {
        var (clock, meter) = Meter(changeAfter: TimeSpan.FromSeconds(3));
        Run(clock, meter, 0, seconds: 8, bytesPerSecond: 1000);
        clock.Advance(TimeSpan.FromSeconds(3.5));
        // The open slice still holds the last moved bytes, spread over its length: far below the 1,000 of before.
        Assert.InRange(meter.BytesPerSecond(), 0, 200);
    }

    private static (FakeTimeProvider Clock, MedianThroughputMeter Meter) Meter(TimeSpan changeAfter = default)
    {
        var clock = new FakeTimeProvider();
        return (clock, new MedianThroughputMeter(clock, TimeSpan.FromSeconds(10), changeAfter));
    }

    /// <summary>Ten records a second at the given rate; returns the cumulative count.</summary>
    private static long Run(FakeTimeProvider clock, MedianThroughputMeter meter, long bytes, int seconds, long bytesPerSecond)
    {
        if (bytes == 0)
        {
            meter.Record(0);
        }

        for (var tick = 0; tick < seconds * 10; tick++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            bytes += bytesPerSecond / 10;
            meter.Record(bytes);
        }

        return bytes;
    }
}
