namespace Migration.Oma.Persistence;

/// <summary>Reads for the scheduler's sweep, the CLI and tests (the seed's monitoring queries among them).</summary>
public interface IJobQueries
{
    /// <summary>Active jobs whose <c>next_poll_at</c> is at or before <paramref name="now"/>, oldest due first.</summary>
    Task<IReadOnlyList<DuePoll>> GetDuePollsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>The seed's "Active replication jobs" query.</summary>
    Task<IReadOnlyList<ActiveJobRow>> GetActiveJobsAsync(CancellationToken cancellationToken);

    /// <summary>The seed's "Recent CBT history" query (newest first).</summary>
    Task<IReadOnlyList<CbtHistoryRow>> GetRecentCbtHistoryAsync(int limit, CancellationToken cancellationToken);

    /// <summary>The seed's "Progress tracking health" query over jobs created after <paramref name="since"/>.</summary>
    Task<JobHealth> GetHealthAsync(DateTimeOffset since, CancellationToken cancellationToken);

    Task<JobView?> GetJobAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Every job, newest first (for <c>Cli watch</c> and tests).</summary>
    Task<IReadOnlyList<JobView>> GetJobsAsync(int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<DiskRow>> GetDisksAsync(string jobId, CancellationToken cancellationToken);

    Task<IReadOnlyList<CbtHistoryRow>> GetCbtHistoryAsync(string jobId, CancellationToken cancellationToken);

    Task<IReadOnlyList<JobLogView>> GetJobLogAsync(string jobId, CancellationToken cancellationToken);
}

public sealed record DuePoll(string JobId, string VmaUrl);

public sealed record ActiveJobRow(string Id, string Status, string? CurrentOperation, decimal ProgressPercent, DateTimeOffset UpdatedAt);

public sealed record JobHealth(long TotalJobs, long Completed, long Failed);

public sealed record JobView
{
    public required string Id { get; init; }
    public required string Status { get; init; }
    public string? CurrentOperation { get; init; }
    public decimal ProgressPercent { get; init; }
    public long BytesTransferred { get; init; }
    public long TotalBytes { get; init; }
    public long TransferSpeedBps { get; init; }

    /// <summary>The VMA's estimate at the last written observation (whole seconds); null when it gave none.</summary>
    public long? EtaSeconds { get; init; }
    public string? ErrorMessage { get; init; }
    public string VmName { get; init; } = "";
    public string VmaUrl { get; init; } = "";
    public string? SyncType { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public DateTimeOffset? LastContactAt { get; init; }
    public DateTimeOffset? NextPollAt { get; init; }
    public int ConsecutivePollFailures { get; init; }
    public int Version { get; init; }

    /// <summary>The start command's target as the saga stored it (null: the VMA's default target).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? TargetJson { get; init; }
}

public sealed record JobLogView
{
    public long Id { get; init; }
    public required string JobId { get; init; }
    public Guid CorrelationId { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Level { get; init; }
    public required string EventKind { get; init; }
    public required string Message { get; init; }
}
