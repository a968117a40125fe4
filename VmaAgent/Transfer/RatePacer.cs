namespace Migration.VmaAgent.Transfer;

/// <summary>
/// Holds one job's disks together to a byte rate: each chunk reserves its share of time and waits for its slot.
/// Unused time is not saved up, so a stall is never followed by a burst.
/// </summary>
public sealed class RatePacer(long bytesPerSecond, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly long _origin = time.GetTimestamp();
    private double _nextSlotSeconds;

    public async ValueTask WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        if (bytesPerSecond <= 0)
        {
            return;
        }

        double waitSeconds;
        lock (_gate)
        {
            var nowSeconds = time.GetElapsedTime(_origin).TotalSeconds;
            var slot = Math.Max(_nextSlotSeconds, nowSeconds);
            _nextSlotSeconds = slot + ((double)bytes / bytesPerSecond);
            waitSeconds = slot - nowSeconds;
        }

        if (waitSeconds > 0.001)
        {
            await Task.Delay(TimeSpan.FromSeconds(waitSeconds), time, cancellationToken);
        }
    }
}
