using Migration.Oma.Persistence;

namespace Migration.Tests.Scheduler.Support;

/// <summary>
/// The sweep's view of the database, in memory: jobs with a next-poll time. Only the sweep's query is answered;
/// the monitoring reads return nothing, as for an empty database.
/// </summary>
public sealed class FakeJobQueries : IJobQueries, IPollSweepStore
{
    readonly Lock _gate = new();
    readonly Dictionary<string, (string VmaUrl, DateTimeOffset NextPollAt)> _jobs = new();
    int _inFlight;

    /// <summary>Every <c>now</c> the sweep asked with, and its limit.</summary>
    public List<(DateTimeOffset Now, int Limit)> Calls { get; } = [];

    /// <summary>The hold each claim was asked with.</summary>
    public List<BehindHold> Holds { get; } = [];

    public int CallCount { get { lock (_gate) { return Calls.Count; } } }

    /// <summary>Most sweeps that were inside the query at the same moment.</summary>
    public int MaxConcurrentCalls { get; private set; }

    /// <summary>How long each query takes (to make overlapping sweeps visible).</summary>
    public TimeSpan QueryDuration { get; set; } = TimeSpan.Zero;

    /// <summary>When set, the query throws it (a database outage).</summary>
    public Exception? Failure { get; set; }

    public void AddJob(string jobId, string vmaUrl, DateTimeOffset nextPollAt)
    {
        lock (_gate)
        {
            _jobs[jobId] = (vmaUrl, nextPollAt);
        }
    }

    public async Task<IReadOnlyList<DuePoll>> GetDuePollsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        if (limit == 1)
        {
            // OutagePolling's probe ("can the database be read?"), not a sweep: not counted among the sweeps.
            return Failure is { } down ? throw down : [];
        }

        lock (_gate)
        {
            Calls.Add((now, limit));
            MaxConcurrentCalls = Math.Max(MaxConcurrentCalls, ++_inFlight);
        }

        try
        {
            if (QueryDuration > TimeSpan.Zero)
            {
                await Task.Delay(QueryDuration, cancellationToken);
            }

            if (Failure is { } failure)
            {
                throw failure;
            }

            lock (_gate)
            {
                return _jobs.Where(j => j.Value.NextPollAt <= now)
                    .OrderBy(j => j.Value.NextPollAt)
                    .Take(limit)
                    .Select(j => new DuePoll(j.Key, j.Value.VmaUrl))
                    .ToList();
            }
        }
        finally
        {
            lock (_gate)
            {
                _inFlight--;
            }
        }
    }

    /// <summary>The sweep's claim, answered as the read it replaced: every due job (claims are the database's to test).</summary>
    public Task<IReadOnlyList<DuePoll>> ClaimDueAsync(
        DateTimeOffset dueBy, DateTimeOffset now, DateTimeOffset until, BehindHold hold, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Holds.Add(hold);
        }

        return GetDuePollsAsync(dueBy, limit, cancellationToken);
    }

    public Task<bool> ReleaseAsync(string jobId, DateTimeOffset until, DateTimeOffset releasedAt, CancellationToken cancellationToken) => Task.FromResult(true);

    public Task<IReadOnlyList<string>> GetOverdueAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken) =>
        Failure is { } down ? Task.FromException<IReadOnlyList<string>>(down) : Task.FromResult<IReadOnlyList<string>>([]);

    public Task<IReadOnlyList<ActiveJobRow>> GetActiveJobsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ActiveJobRow>>([]);

    public Task<IReadOnlyList<CbtHistoryRow>> GetRecentCbtHistoryAsync(int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CbtHistoryRow>>([]);

    public Task<JobHealth> GetHealthAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        Task.FromResult(new JobHealth(0, 0, 0));

    public Task<JobView?> GetJobAsync(string jobId, CancellationToken cancellationToken) => Task.FromResult<JobView?>(null);

    public Task<IReadOnlyList<JobView>> GetJobsAsync(int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JobView>>([]);

    public Task<IReadOnlyList<DiskRow>> GetDisksAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DiskRow>>([]);

    public Task<IReadOnlyList<CbtHistoryRow>> GetCbtHistoryAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CbtHistoryRow>>([]);

    public Task<IReadOnlyList<JobLogView>> GetJobLogAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JobLogView>>([]);
}
