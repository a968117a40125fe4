namespace Migration.Oma.Web.Api;

/// <summary>One job as the API and the page show it: the job row, its disks and its ETA.</summary>
public sealed record JobSummary
{
    public required string Id { get; init; }

    public required string VmName { get; init; }

    /// <summary>The database status: pending, preparing, snapshotting, streaming, finalizing, completed, failed.</summary>
    public required string Status { get; init; }

    public string? CurrentOperation { get; init; }

    public string? SyncType { get; init; }

    public decimal ProgressPercent { get; init; }

    public long BytesTransferred { get; init; }

    public long TotalBytes { get; init; }

    public long TransferSpeedBps { get; init; }

    /// <summary>Seconds until the planned bytes are moved; null while unknown (before the transfer, after a failure).</summary>
    public long? EtaSeconds { get; init; }

    public string? ErrorMessage { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public DateTimeOffset? LastContactAt { get; init; }

    public int ConsecutivePollFailures { get; init; }

    /// <summary>Changes with every write of the job row.</summary>
    public int Version { get; init; }

    public IReadOnlyList<DiskDocument> Disks { get; init; } = [];
}

public sealed record DiskDocument
{
    public required string DiskId { get; init; }

    public string? Label { get; init; }

    /// <summary>pending, snapshotting, syncing, completed, failed.</summary>
    public required string SyncStatus { get; init; }

    public decimal SyncProgressPercent { get; init; }

    public long BytesSynced { get; init; }

    public long PlannedBytes { get; init; }

    public string? DiskChangeId { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary><c>GET /api/v1/jobs/{id}</c>: the summary plus its audit trail.</summary>
public sealed record JobDetail
{
    public required JobSummary Job { get; init; }

    public string? VmaUrl { get; init; }

    /// <summary>When each stage was reached, from the JobLog.</summary>
    public IReadOnlyList<StageEntry> Stages { get; init; } = [];

    public IReadOnlyList<CbtHistoryDocument> CbtHistory { get; init; } = [];

    public IReadOnlyList<JobLogDocument> JobLog { get; init; } = [];
}

public sealed record StageEntry(string Stage, DateTimeOffset At, bool PassedBetweenPolls);

public sealed record CbtHistoryDocument
{
    public required string DiskId { get; init; }

    public string? ChangeId { get; init; }

    public string? PreviousChangeId { get; init; }

    public required string SyncType { get; init; }

    public int? BlocksChanged { get; init; }

    public long BytesTransferred { get; init; }

    public int SyncDurationSeconds { get; init; }

    public bool SyncSuccess { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

public sealed record JobLogDocument
{
    public DateTimeOffset At { get; init; }

    public required string Level { get; init; }

    public required string EventKind { get; init; }

    public required string Message { get; init; }
}

/// <summary><c>GET /api/v1/jobs</c>: one page, newest job first.</summary>
public sealed record JobPage
{
    public IReadOnlyList<JobSummary> Items { get; init; } = [];

    public int Limit { get; init; }

    public int Offset { get; init; }

    /// <summary>The offset of the next page; null on the last one.</summary>
    public int? NextOffset { get; init; }
}
