using System.Collections.Concurrent;

namespace Migration.OmaWorkers.Consumers;

/// <summary>
/// The jobs this worker is polling right now. A poll that arrives while an earlier one for the same job still waits
/// for the VMA is dropped: a VMA that holds requests open gets no pile of concurrent polls, and the earlier poll's
/// answer or time-out (a failure, so backoff applies) decides when the job is polled next.
/// </summary>
public sealed class PollsInFlight
{
    private readonly ConcurrentDictionary<string, byte> _jobs = new(StringComparer.Ordinal);

    public int Count => _jobs.Count;

    /// <summary>Null when a poll of the job is already in flight here; else a lease to dispose when the poll is done.</summary>
    public IDisposable? TryBegin(string jobId) => _jobs.TryAdd(jobId, 0) ? new Lease(this, jobId) : null;

    private sealed class Lease(PollsInFlight owner, string jobId) : IDisposable
    {
        public void Dispose() => owner._jobs.TryRemove(jobId, out _);
    }
}
