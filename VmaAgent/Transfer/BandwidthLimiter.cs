using System.Threading.RateLimiting;

namespace Migration.VmaAgent.Transfer;

/// <summary>
/// Holds one job's disks together to a byte rate with a token bucket refilled every <see cref="RefillPeriod"/>. The bucket
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
    private static readonly TimeSpan ShortestPeriod = TimeSpan.FromMilliseconds(25);

    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(400);

    /// <summary>Refills per largest request: a request waits at most a tenth of its own time past its due.</summary>
    private const int RefillsPerRequest = 10;

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

        RefillPeriod = RefillPeriodFor(bytesPerSecond, largestRequest);
        var perPeriod = (int)Math.Clamp(bytesPerSecond * RefillPeriod.TotalSeconds, 1, int.MaxValue / 2);
        _bucketSize = (int)Math.Clamp(Math.Max(bytesPerSecond * Slack.TotalSeconds, largestRequest), perPeriod, int.MaxValue / 2);
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = _bucketSize,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = RefillPeriod,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = false,
        });
        _bucket.AttemptAcquire(_bucketSize).Dispose();
        _refill = TimeProvider.System.CreateTimer(Refill, _bucket, RefillPeriod, RefillPeriod);
    }

    public static BandwidthLimiter Unlimited { get; } = new(0, 0);

    /// <summary>0: no limit.</summary>
    public long BytesPerSecond { get; }

    public TimeSpan RefillPeriod { get; }

    /// <summary>
    /// Ten refills in the time one largest request takes at the rate, between every 25 ms and every 0.4 s (the bucket's
    /// slack, so one refill always fits in the bucket).
    /// </summary>
    /// <remarks>
    /// Every job has its own bucket and timer. At a fixed 25 ms a VMA running 1,000 slow jobs fired 40,000 refills a
    /// second, a fifth of its CPU, for requests that each needed seconds of tokens. A longer period loses no rate: a refill
    /// adds the rate times the time elapsed.
    /// </remarks>
    public static TimeSpan RefillPeriodFor(long bytesPerSecond, int largestRequest)
    {
        if (bytesPerSecond <= 0)
        {
            return TimeSpan.Zero;
        }

        var perRequest = TimeSpan.FromSeconds(Math.Max(largestRequest, 1) / (double)bytesPerSecond / RefillsPerRequest);
        return TimeSpan.FromTicks(Math.Clamp(perRequest.Ticks, ShortestPeriod.Ticks, Slack.Ticks));
    }

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
