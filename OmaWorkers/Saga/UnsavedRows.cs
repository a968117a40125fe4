using Migration.Oma.Persistence;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// What one saga step adds beside the job row, as data: disk upserts, CBT history rows and JobLog entries, each
/// idempotent (disks merge, history is one row per disk, every log entry has a dedupe key). The saga repository writes
/// them after the job row in the step's one transaction; a step that throws leaves them unwritten.
/// </summary>
public sealed class UnsavedRows
{
    private readonly List<DiskRow> disks = [];
    private readonly List<CbtHistoryRow> history = [];
    private readonly List<JobLogEntry> log = [];

    public IReadOnlyList<DiskRow> Disks => disks;

    /// <summary>
    /// True when the disk rows are progress only: a failure to write them must not roll back or block the job row
    /// (the seed), so they are written in a savepoint, and the next written observation writes them again.
    /// </summary>
    public bool DisksMayFail { get; private set; }

    /// <summary>
    /// The job's disk digest before this step (<see cref="ReplicationState.DiskDigest"/>): what the job row is put back
    /// to when the disk rows fail, so the next observation writes them again.
    /// </summary>
    public string? PreviousDiskDigest { get; private set; }

    public IReadOnlyList<CbtHistoryRow> History => history;

    public IReadOnlyList<JobLogEntry> Log => log;

    public bool IsEmpty => disks.Count == 0 && history.Count == 0 && log.Count == 0;

    public void UpsertDisks(IEnumerable<DiskRow> rows, bool mayFail)
    {
        disks.AddRange(rows);
        DisksMayFail = mayFail;
    }

    /// <summary>Progress rows of the disks whose figures changed (<paramref name="previousDigest"/>: the digest they changed from).</summary>
    public void UpsertChangedDisks(IEnumerable<DiskRow> rows, string? previousDigest)
    {
        UpsertDisks(rows, mayFail: true);
        PreviousDiskDigest = previousDigest;
    }

    public void AddHistory(IEnumerable<CbtHistoryRow> rows) => history.AddRange(rows);

    public void AddLog(JobLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.DedupeKey is null)
        {
            throw new ArgumentException("a saga step's JobLog entry needs a dedupe key, so a redelivered message writes it once", nameof(entry));
        }

        log.Add(entry);
    }

    /// <summary>After the rows were written, or when the step's changes are discarded.</summary>
    public void Clear()
    {
        disks.Clear();
        history.Clear();
        log.Clear();
        DisksMayFail = false;
        PreviousDiskDigest = null;
    }
}
