using System.Collections.Concurrent;
using Migration.Contracts.Status;
using Migration.Oma.Persistence;

namespace Migration.Tests.OmaWorkers;

/// <summary>
/// An in-memory stand-in for the database rows beside the job row, for the saga's unit tests only (the end-to-end
/// and persistence suites use SQLite and PostgreSQL). It keeps the store's documented rules so tests can see them.
/// </summary>
public sealed class RecordingStore : IReplicationStore, IJobQueries
{
    private readonly object _gate = new();
    public ConcurrentDictionary<(string JobId, string DiskId), DiskRow> Disks { get; } = new();
    public List<CbtHistoryRow> History { get; } = [];
    public List<JobLogEntry> Log { get; } = [];
    public Dictionary<string, Dictionary<string, string>> ChangeIdsByVm { get; } = [];
    public int FailDiskWrites { get; set; }

    public Task UpsertDisksAsync(IReadOnlyList<DiskRow> disks, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (FailDiskWrites > 0)
            {
                FailDiskWrites--;
                throw new InvalidOperationException("disk write failed (test)");
            }

            foreach (var disk in disks)
            {
                Disks.AddOrUpdate((disk.JobId, disk.DiskId), disk, (_, old) => StatusMapping.IsTerminal(old.SyncStatus)
                    ? old with { DiskChangeId = old.DiskChangeId ?? disk.DiskChangeId }
                    : disk with
                    {
                        BytesSynced = Math.Max(old.BytesSynced, disk.BytesSynced),
                        SyncProgressPercent = Math.Max(old.SyncProgressPercent, disk.SyncProgressPercent),
                        DiskChangeId = disk.DiskChangeId ?? old.DiskChangeId,
                    });
            }
        }

        return Task.CompletedTask;
    }

    public Task AddCbtHistoryAsync(IReadOnlyList<CbtHistoryRow> rows, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            History.AddRange(rows.Where(r => !History.Any(h => h.JobId == r.JobId && h.DiskId == r.DiskId)));
        }

        return Task.CompletedTask;
    }

    public Task AppendJobLogAsync(JobLogEntry entry, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (entry.DedupeKey is null || !Log.Any(l => l.JobId == entry.JobId && l.DedupeKey == entry.DedupeKey))
            {
                Log.Add(entry);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, string>> GetLastChangeIdsAsync(string vmName, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(ChangeIdsByVm.GetValueOrDefault(vmName) ?? []);

    public Task<IReadOnlyList<DiskRow>> GetDisksAsync(string jobId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<DiskRow>>(Disks.Values.Where(d => d.JobId == jobId).ToList());
        }
    }

    public List<JobLogEntry> LogOf(string jobId)
    {
        lock (_gate)
        {
            return Log.Where(l => l.JobId == jobId).ToList();
        }
    }

    public List<CbtHistoryRow> HistoryOf(string jobId)
    {
        lock (_gate)
        {
            return History.Where(l => l.JobId == jobId).ToList();
        }
    }

    // The sweep and monitoring reads are not what these tests exercise: empty answers.
    public Task<IReadOnlyList<DuePoll>> GetDuePollsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<DuePoll>>([]);

    public Task<IReadOnlyList<ActiveJobRow>> GetActiveJobsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ActiveJobRow>>([]);

    public Task<IReadOnlyList<CbtHistoryRow>> GetRecentCbtHistoryAsync(int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CbtHistoryRow>>([]);

    public Task<JobHealth> GetHealthAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        Task.FromResult(new JobHealth(0, 0, 0));

    public Task<JobView?> GetJobAsync(string jobId, CancellationToken cancellationToken) => Task.FromResult<JobView?>(null);

    public Task<IReadOnlyList<JobView>> GetJobsAsync(int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JobView>>([]);

    public Task<IReadOnlyList<CbtHistoryRow>> GetCbtHistoryAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<CbtHistoryRow>>(HistoryOf(jobId));

    public Task<IReadOnlyList<JobLogView>> GetJobLogAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JobLogView>>([]);
}
