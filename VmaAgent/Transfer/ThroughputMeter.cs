namespace Migration.VmaAgent.Transfer;

/// <summary>
/// Bytes per second as a moving average over a sliding window: the newest count minus the count at the start of
/// the window, over the time between. Not thread-safe; the job updates it under its own lock.
/// </summary>
public sealed class ThroughputMeter(TimeProvider time, TimeSpan window)
{
    private readonly Queue<(long Timestamp, long Bytes)> _samples = new();
    private (long Timestamp, long Bytes)? _anchor;
    private long _latestBytes;

    public void Record(long cumulativeBytes)
    {
        var now = time.GetTimestamp();
        _latestBytes = cumulativeBytes;
        _samples.Enqueue((now, cumulativeBytes));
        Trim(now);
    }

    public long BytesPerSecond()
    {
        var now = time.GetTimestamp();
        Trim(now);
        (long Timestamp, long Bytes)? start = _anchor ?? (_samples.Count > 0 ? _samples.Peek() : null);
        if (start is not { } first)
        {
            return 0;
        }

        var elapsed = time.GetElapsedTime(first.Timestamp, now);
        return elapsed < TimeSpan.FromMilliseconds(1) ? 0 : (long)((_latestBytes - first.Bytes) / elapsed.TotalSeconds);
    }

    private void Trim(long now)
    {
        // The last sample older than the window becomes the window's start point.
        while (_samples.Count > 0 && time.GetElapsedTime(_samples.Peek().Timestamp, now) > window)
        {
            _anchor = _samples.Dequeue();
        }
    }
}
