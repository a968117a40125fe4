using System.Threading.RateLimiting;

namespace Migration.VmaAgent.Transfer;

/// <summary>
/// Holds one job's disks together to a byte rate with a token bucket refilled every <see cref="Period"/>. The bucket
/// starts empty (no burst at the start) and holds 0.4 s worth (or one request, if larger): enough
/// that requests still busy when a refill comes do not lose their share, small enough that no 10-second window carries more than 4 %
/// over the rate.
/// </summary>
/// <remarks>
/// Our own timer drives the refill: the library's automatic one adds a fixed share per tick however late the tick
/// comes, so every late tick on a loaded machine is rate lost (a 4 s copy took 5.0 s with both cores busy, 4.6 s with
/// this). Driven by hand, the bucket adds the rate times the time elapsed since the last refill, so late ticks catch up
/// (up to the bucket).
/// </remarks>
public sealed class BandwidthLimiter : IAsyncDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(25);

    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(400);

    private readonly TokenBucketRateLimiter? _bucket;
    private readonly ITimer? _refill;
    private readonly int _bucketSize;

    /// <remarks>
    /// The bucket measures the elapsed time of a refill with the stopwatch, so a <see cref="TimeProvider"/> could not
    /// fake it: the refill timer is the system's too.
    /// </remarks>
    public BandwidthLimiter(long bytesPerSecond, int largestRequest)
    {
        BytesPerSecond = bytesPerSecond;
        if (bytesPerSecond <= 0)
        {
            return;
        }

        var perPeriod = (int)Math.Clamp(bytesPerSecond * Period.TotalSeconds, 1, int.MaxValue / 2);
        _bucketSize = (int)Math.Clamp(Math.Max(bytesPerSecond * Slack.TotalSeconds, largestRequest), perPeriod, int.MaxValue / 2);
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = _bucketSize,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = Period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = false,
        });
        _bucket.AttemptAcquire(_bucketSize).Dispose();
        _refill = TimeProvider.System.CreateTimer(Refill, _bucket, Period, Period);
    }

    public static BandwidthLimiter Unlimited { get; } = new(0, 0);

    /// <summary>0: no limit.</summary>
    public long BytesPerSecond { get; }

    public async ValueTask WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        if (_bucket is null)
        {
            return;
        }

        while (bytes > 0)
        {
            var take = Math.Min(bytes, _bucketSize);
            using var lease = await _bucket.AcquireAsync(take, cancellationToken);
            if (!lease.IsAcquired)
            {
                throw new InvalidOperationException("the bandwidth limiter refused a request");
            }

            bytes -= take;
        }
    }

    private static void Refill(object? bucket) => ((TokenBucketRateLimiter)bucket!).TryReplenish();

    public async ValueTask DisposeAsync()
    {
        if (_refill is not null)
        {
            await _refill.DisposeAsync();
        }

        if (_bucket is not null)
        {
            await _bucket.DisposeAsync();
        }
    }
}
