using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;

namespace Migration.Oma.Progress;

/// <summary>
/// A job's ETA as the OMA sees it: the VMA's own estimate (its moving median of the throughput, stored with the job row)
/// or, without one, the row's throughput, blended by the <see cref="EtaEstimator"/> with the rate of the VM's previous
/// successful sync (its cbt_history rows), and counted from the time the row was written.
/// </summary>
public static class JobEta
{
    /// <summary>Whole seconds (rounded up) from <paramref name="now"/>; 0 once the bytes are moved, null while no rate is known or after a failure.</summary>
    public static long? Seconds(JobView job, double? historyBytesPerSecond, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        switch (job.Status)
        {
            case StatusMapping.Finalizing or StatusMapping.Completed:
                return 0;
            case StatusMapping.Streaming:
                var remaining = Math.Max(0, job.TotalBytes - job.BytesTransferred);
                double recent = job.EtaSeconds is > 0 and var vmaEta ? (double)remaining / vmaEta : job.TransferSpeedBps;
                var eta = EtaEstimator.Seconds(job.TotalBytes, job.BytesTransferred, recent, historyBytesPerSecond);
                return eta is { } seconds ? (long)Math.Ceiling(Math.Max(0, seconds - Math.Max(0, (now - job.UpdatedAt).TotalSeconds))) : null;
            default:
                return null;
        }
    }

    /// <summary>The rate of the newest successful job of this VM other than <paramref name="jobId"/>, from its cbt_history rows.</summary>
    public static double? HistoryRate(IEnumerable<CbtHistoryRow> vmHistory, string jobId)
    {
        ArgumentNullException.ThrowIfNull(vmHistory);
        var previous = vmHistory
            .Where(r => r.JobId != jobId)
            .GroupBy(r => r.JobId, StringComparer.Ordinal)
            .Where(g => g.All(r => r.SyncSuccess))
            .MaxBy(g => g.Max(r => r.CreatedAt));
        return previous is null ? null : EtaEstimator.HistoryRate(previous.Select(r => (r.BytesTransferred, r.SyncDurationSeconds)));
    }
}
