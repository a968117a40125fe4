using Microsoft.Extensions.Options;
using Migration.OmaWorkers;

namespace Migration.Scheduler.Polling;

/// <summary>
/// Remembers which jobs this process asked to poll recently, so a sweep that runs early (a late firing followed by
/// an on-time one, a manual trigger) does not ask twice within one poll interval.
/// </summary>
/// <remarks>
/// A job published less than one interval ago, less a tenth of it, is held back: the tenth absorbs the scheduler's
/// firing jitter, so sweeps that are on time are never mistaken for early ones. The map only ever holds jobs polled
/// within the last two intervals, so it stays as small as the set of active jobs. In a cluster each node keeps
/// its own map; the sweep trigger itself fires on one node at a time.
/// </remarks>
public sealed class RecentPolls(IOptions<TrackingOptions> tracking)
{
    readonly Dictionary<string, DateTimeOffset> _lastPublished = new(StringComparer.Ordinal);
    readonly Lock _gate = new();

    TimeSpan Interval => tracking.Value.PollInterval;

    /// <summary>The due polls not published within the current interval.</summary>
    public IReadOnlyList<T> Admit<T>(IReadOnlyList<T> due, Func<T, string> jobId, DateTimeOffset now)
    {
        var minimumGap = Interval - (Interval / 10);
        lock (_gate)
        {
            Forget(now);
            return due.Where(poll => !_lastPublished.TryGetValue(jobId(poll), out var last) || now - last >= minimumGap)
                .ToList();
        }
    }

    /// <summary>Records a published batch and forgets entries older than two intervals.</summary>
    public void Record(IEnumerable<string> jobIds, DateTimeOffset now)
    {
        lock (_gate)
        {
            foreach (var jobId in jobIds)
            {
                _lastPublished[jobId] = now;
            }

            Forget(now);
        }
    }

    void Forget(DateTimeOffset now)
    {
        var horizon = now - (Interval * 2);
        foreach (var stale in _lastPublished.Where(e => e.Value < horizon).Select(e => e.Key).ToList())
        {
            _lastPublished.Remove(stale);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _lastPublished.Count;
            }
        }
    }
}
