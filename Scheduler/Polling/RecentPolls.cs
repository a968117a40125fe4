using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Oma.Persistence;
using Migration.Oma;

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
public sealed class RecentPolls(IOptions<TrackingOptions> tracking, TimeProvider time)
{
    readonly Dictionary<string, DateTimeOffset> _lastPublished = new(StringComparer.Ordinal);
    readonly Lock _gate = new();

    TimeSpan Interval => tracking.Value.PollInterval;

    /// <summary>
    /// Publishes a poll (<see cref="PollMessages"/>) stamped <paramref name="requestedAt"/> for each due job not published
    /// within the current interval, spread over the interval's first part (<see cref="PollSpread"/>); returns how
    /// many were published.
    /// </summary>
    public async Task<int> PublishAsync(
        IPublishEndpoint publish,
        IReadOnlyList<DuePoll> due,
        DateTimeOffset now,
        DateTimeOffset requestedAt,
        CancellationToken cancellationToken)
    {
        var admitted = Admit(due, now);
        await PublishAdmittedAsync(publish, admitted, now, requestedAt, claimedUntil: null, cancellationToken);
        return admitted.Count;
    }

    /// <summary>The due jobs not published within the current interval.</summary>
    public IReadOnlyList<DuePoll> Admit(IReadOnlyList<DuePoll> due, DateTimeOffset now)
    {
        var minimumGap = Interval - (Interval / 10);
        lock (_gate)
        {
            Forget(now);
            return due.Where(poll => !_lastPublished.TryGetValue(poll.JobId, out var last) || now - last >= minimumGap).ToList();
        }
    }

    /// <summary>
    /// Publishes the polls of the admitted jobs (<see cref="PollMessages"/>: one per job, or per VMA in batches), slot by
    /// slot, and remembers them as published at <paramref name="now"/>.
    /// </summary>
    public async Task PublishAdmittedAsync(
        IPublishEndpoint publish,
        IReadOnlyList<DuePoll> admitted,
        DateTimeOffset now,
        DateTimeOffset requestedAt,
        DateTimeOffset? claimedUntil,
        CancellationToken cancellationToken)
    {
        if (admitted.Count == 0)
        {
            return;
        }

        await foreach (var group in new PollSpread(tracking.Value, time).GroupsAsync(admitted, cancellationToken))
        {
            var messages = PollMessages.Of(group, tracking.Value.PollBatchSize, requestedAt, claimedUntil);
            await publish.PublishBatch(messages.Polls, cancellationToken);
            await publish.PublishBatch(messages.Batches, cancellationToken);
            lock (_gate)
            {
                foreach (var poll in group)
                {
                    _lastPublished[poll.JobId] = now;
                }
            }
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
