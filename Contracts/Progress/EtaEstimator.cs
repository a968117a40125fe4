namespace Migration.Contracts.Progress;

/// <summary>
/// Seconds until a sync has moved its planned bytes: the bytes left over a rate that blends the recent throughput
/// (a moving average) with, for a VM replicated before, the rate its previous sync reached. The VMA puts it in the
/// progress document (<c>aggregate.eta_seconds</c>); the OMA's API, page and CLI compute it from the database.
/// </summary>
/// <remarks>
/// The history rate counts fully at the start and fades out linearly until <see cref="HistoryFadeUntil"/> of the
/// bytes are moved: early on the moving average covers only a few seconds of a run, later it knows this run better
/// than the last one did.
/// </remarks>
public static class EtaEstimator
{
    /// <summary>Fraction done at which the history rate stops counting.</summary>
    public const double HistoryFadeUntil = 0.2;

    /// <summary>The estimate in seconds, unrounded; null when no rate is known yet (nothing moved, no history).</summary>
    /// <param name="plannedBytes">What the sync moves in total.</param>
    /// <param name="transferredBytes">What it moved so far.</param>
    /// <param name="recentBytesPerSecond">The moving average of the throughput; 0 when not known.</param>
    /// <param name="historyBytesPerSecond">The rate of this VM's previous sync; null when there was none.</param>
    public static double? Seconds(long plannedBytes, long transferredBytes, double recentBytesPerSecond, double? historyBytesPerSecond = null)
    {
        if (plannedBytes <= 0)
        {
            return null;
        }

        var remaining = Math.Max(0, plannedBytes - transferredBytes);
        if (remaining == 0)
        {
            return 0;
        }

        var rate = Rate(Math.Clamp((double)transferredBytes / plannedBytes, 0, 1), recentBytesPerSecond, historyBytesPerSecond);
        return rate > 0 ? remaining / rate : null;
    }

    /// <summary>The blended rate at <paramref name="fractionDone"/> (0 … 1).</summary>
    public static double Rate(double fractionDone, double recentBytesPerSecond, double? historyBytesPerSecond)
    {
        var recent = Math.Max(0, recentBytesPerSecond);
        if (historyBytesPerSecond is not (> 0 and var history))
        {
            return recent;
        }

        if (recent <= 0)
        {
            return history;
        }

        var historyWeight = Math.Clamp(1 - (fractionDone / HistoryFadeUntil), 0, 1);
        return (historyWeight * history) + ((1 - historyWeight) * recent);
    }

    /// <summary>
    /// The rate a finished sync reached: its bytes over its duration (disks move in parallel, so the longest disk's
    /// duration is the job's); null without a usable row.
    /// </summary>
    public static double? HistoryRate(IEnumerable<(long Bytes, int DurationSeconds)> disks)
    {
        ArgumentNullException.ThrowIfNull(disks);
        long bytes = 0;
        var seconds = 0;
        foreach (var (diskBytes, duration) in disks)
        {
            bytes += Math.Max(0, diskBytes);
            seconds = Math.Max(seconds, duration);
        }

        return bytes > 0 && seconds > 0 ? (double)bytes / seconds : null;
    }
}
