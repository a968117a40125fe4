using System.Collections.Concurrent;
using Migration.Oma.Persistence;

namespace Migration.Scheduler.Polling;

/// <summary>
/// The jobs this process's sweeps last found due, with their VMA URLs: what <see cref="OutagePolling"/> keeps polling
/// while the database cannot be read.
/// </summary>
public sealed class KnownActiveJobs
{
    private readonly ConcurrentDictionary<string, (DuePoll Poll, DateTimeOffset SeenAt)> _jobs = new(StringComparer.Ordinal);

    public void Record(IEnumerable<DuePoll> due, DateTimeOffset now)
    {
        foreach (var poll in due)
        {
            _jobs[poll.JobId] = (poll, now);
        }
    }

    /// <summary>Jobs seen due since <paramref name="since"/>; older entries are dropped.</summary>
    public IReadOnlyList<DuePoll> SeenSince(DateTimeOffset since)
    {
        foreach (var stale in _jobs.Where(e => e.Value.SeenAt < since).Select(e => e.Key).ToList())
        {
            _jobs.TryRemove(stale, out _);
        }

        return _jobs.Values.Select(e => e.Poll).ToList();
    }
}
