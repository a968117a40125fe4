namespace Migration.Oma.Persistence;

/// <summary>
/// The rows beside the job row that the saga's steps write: disks, CBT history and the JobLog trail. Every
/// method is idempotent, because a redelivered message runs a saga step again.
/// </summary>
public interface IReplicationStore
{
    /// <summary>
    /// Inserts or updates the disk rows of one observation in one transaction. Progress and byte counts never go
    /// backwards, a completed or failed disk never reopens, and <c>disk_change_id</c> is only ever set, not cleared.
    /// </summary>
    Task UpsertDisksAsync(IReadOnlyList<DiskRow> disks, CancellationToken cancellationToken);

    /// <summary>Adds CBT history rows; a second row for the same (job, disk) is ignored.</summary>
    Task AddCbtHistoryAsync(IReadOnlyList<CbtHistoryRow> rows, CancellationToken cancellationToken);

    /// <summary>Appends a JobLog row; when <see cref="JobLogEntry.DedupeKey"/> is set, a second one with the same key is ignored.</summary>
    Task AppendJobLogAsync(JobLogEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// The newest successful change id per disk id for a VM (by the job row's vm_name), from completed syncs: the
    /// base of the next incremental. Empty when the VM never completed a sync.
    /// </summary>
    Task<IReadOnlyDictionary<string, string>> GetLastChangeIdsAsync(string vmName, CancellationToken cancellationToken);
}

/// <summary>A <c>vm_disks</c> row, as written and as read.</summary>
public sealed record DiskRow
{
    public required string JobId { get; init; }

    public required string DiskId { get; init; }

    public string? Label { get; init; }

    /// <summary>pending, snapshotting, syncing, completed, failed.</summary>
    public required string SyncStatus { get; init; }

    public decimal SyncProgressPercent { get; init; }

    public long BytesSynced { get; init; }

    public long PlannedBytes { get; init; }

    /// <summary>Set on completion only.</summary>
    public string? DiskChangeId { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A <c>cbt_history</c> row, as written and as read.</summary>
public sealed record CbtHistoryRow
{
    /// <summary>Assigned by the database; ignored on insert.</summary>
    public long Id { get; init; }

    public required string JobId { get; init; }

    public required string DiskId { get; init; }

    public string? ChangeId { get; init; }

    public string? PreviousChangeId { get; init; }

    /// <summary>"full" or "incremental".</summary>
    public required string SyncType { get; init; }

    public int? BlocksChanged { get; init; }

    public long BytesTransferred { get; init; }

    public int SyncDurationSeconds { get; init; }

    public bool SyncSuccess { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

public sealed record JobLogEntry
{
    public required string JobId { get; init; }

    public Guid CorrelationId { get; init; }

    public DateTimeOffset At { get; init; }

    /// <summary>Information, Warning or Error.</summary>
    public string Level { get; init; } = "Information";

    /// <summary>started, stage, milestone, poll-failed, backoff, timeout, completed, failed, cancelled, vma-restarted.</summary>
    public required string EventKind { get; init; }

    public required string Message { get; init; }

    /// <summary>Makes the append idempotent (e.g. "milestone-50", "stage-Transfer").</summary>
    public string? DedupeKey { get; init; }
}
