namespace Migration.VmaAgent.Transfer;

/// <summary>
/// Bytes per second as the median of the rates of one-second slices over a sliding window: the moving average the
/// ETA divides by. A dip (or burst) shorter than <paramref name="changeAfter"/> leaves the median where it was; once
/// that many newest slices in a row all lie more than a quarter away from the window's median, on the same side, the
/// change counts as lasting and their own median is the rate (without it, the window's median would take half a
/// window to follow). Zero <paramref name="changeAfter"/> leaves only the window's median. Not thread-safe; the job
/// updates it under its own lock.
/// </summary>
public sealed class MedianThroughputMeter(TimeProvider time, TimeSpan window, TimeSpan changeAfter = default)
{
    private static readonly TimeSpan Slice = TimeSpan.FromSeconds(1);

    /// <summary>How far from the window's median a slice must be to count towards a lasting change.</summary>
    private const double ChangeRatio = 0.25;

    /// <summary>Samples and answers at most this often: the job asks on every request it moves (thousands a second).</summary>
    private static readonly TimeSpan Resolution = TimeSpan.FromMilliseconds(100);

    private readonly Queue<(long Timestamp, long Bytes)> _samples = new();
    private long _latestBytes;
    private long _lastSampleAt;
    private (long Timestamp, double Rate)? _answer;

    public void Record(long cumulativeBytes)
    {
        var now = time.GetTimestamp();
        _latestBytes = cumulativeBytes;
        if (_samples.Count == 0 || time.GetElapsedTime(_lastSampleAt, now) >= Resolution)
        {
            _lastSampleAt = now;
            _samples.Enqueue((now, cumulativeBytes));
            Trim(now);
        }
    }

    public double BytesPerSecond()
    {
        var now = time.GetTimestamp();
        if (_answer is { } cached && time.GetElapsedTime(cached.Timestamp, now) < Resolution)
        {
            return cached.Rate;
        }

        var rate = Compute(now);
        _answer = (now, rate);
        return rate;
    }

    private double Compute(long now)
    {
        Trim(now);
        if (_samples.Count == 0)
        {
            return 0;
        }

        var rates = new List<double>();
        var start = _samples.Peek();
        foreach (var sample in _samples)
        {
            var elapsed = time.GetElapsedTime(start.Timestamp, sample.Timestamp);
            if (elapsed >= Slice)
            {
                rates.Add((sample.Bytes - start.Bytes) / elapsed.TotalSeconds);
                start = sample;
            }
        }

        // What follows the last whole slice counts as the slices it spans, so a transfer that stops shows as stopped.
        var open = time.GetElapsedTime(start.Timestamp, now);
        if (open >= Slice)
        {
            var rate = (_latestBytes - start.Bytes) / open.TotalSeconds;
            rates.AddRange(Enumerable.Repeat(rate, (int)Math.Min(open / Slice, window / Slice + 1)));
        }
        else if (rates.Count == 0 && open >= TimeSpan.FromMilliseconds(1))
        {
            rates.Add((_latestBytes - start.Bytes) / open.TotalSeconds);
        }

        if (rates.Count == 0)
        {
            return 0;
        }

        var median = Median([.. rates]);
        var run = TrailingChange(rates, median);
        return run.Count >= Math.Max(2, (int)(changeAfter / Slice)) && changeAfter > TimeSpan.Zero ? Median(run) : median;
    }

    /// <summary>The newest slices (oldest first) that all lie beyond <see cref="ChangeRatio"/> of the median, on one side.</summary>
    private static List<double> TrailingChange(List<double> chronological, double median)
    {
        var run = new List<double>();
        var side = 0;
        for (var i = chronological.Count - 1; i >= 0; i--)
        {
            var rate = chronological[i];
            var here = rate > median * (1 + ChangeRatio) ? 1 : rate < median * (1 - ChangeRatio) ? -1 : 0;
            if (here == 0 || (side != 0 && here != side))
            {
                break;
            }

            side = here;
            run.Add(rate);
        }

        return run;
    }

    private static double Median(List<double> rates)
    {
        rates.Sort();
        var middle = rates.Count / 2;
        return rates.Count % 2 == 1 ? rates[middle] : (rates[middle - 1] + rates[middle]) / 2;
    }

    private void Trim(long now)
    {
        // Keep the newest sample older than the window: it starts the window's first slice.
        while (_samples.Count > 1 && time.GetElapsedTime(_samples.ElementAt(1).Timestamp, now) > window)
        {
            _samples.Dequeue();
        }
    }
}
