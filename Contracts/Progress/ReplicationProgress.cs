using Migration.Contracts.Status;

namespace Migration.Contracts.Progress;

/// <summary>
/// The VMA's answer to <c>GET /api/v1/progress/{jobId}</c>: the seed's schema, field for field, plus a
/// few additions (named in their remarks) where the seed's schema is not enough.
/// </summary>
public sealed record ReplicationProgress
{
    public required string JobId { get; init; }

    public ReplicationStage Stage { get; init; }

    public VmaJobStatus Status { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public AggregateProgress Aggregate { get; init; } = new();

    public CbtInfo Cbt { get; init; } = new();

    public NbdInfo Nbd { get; init; } = new();

    public IReadOnlyList<DiskProgress> Disks { get; init; } = [];

    /// <summary>Addition: the VM this job replicates.</summary>
    public string? VmName { get; init; }

    /// <summary>Addition: what the VMA did that the JobLog should show (CBT enabled, fallbacks, orphaned snapshots removed), in order.</summary>
    public IReadOnlyList<JobNote>? Notes { get; init; }

    /// <summary>Addition: why the job failed (null unless <see cref="Status"/> is Failed).</summary>
    public string? Error { get; init; }

    /// <summary>Addition: when the job reached Succeeded or Failed.</summary>
    public DateTimeOffset? CompletedAt { get; init; }
}

public sealed record AggregateProgress
{
    public long TotalBytes { get; init; }

    public long BytesTransferred { get; init; }

    public long ThroughputBps { get; init; }

    public double Percent { get; init; }

    /// <summary>
    /// Addition: seconds until the planned bytes are moved, from the moving average of the throughput
    /// (<see cref="EtaEstimator"/>), to a tenth of a second; null before the transfer has a rate, 0 once every byte is moved.
    /// </summary>
    public double? EtaSeconds { get; init; }
}

public sealed record CbtInfo
{
    /// <summary>"full" or "incremental" (the whole job: incremental only when every disk is).</summary>
    public string Type { get; init; } = "full";

    public string? PreviousChangeId { get; init; }

    public string? ChangeId { get; init; }
}

public sealed record NbdInfo
{
    public IReadOnlyList<NbdExport> Exports { get; init; } = [];
}

public sealed record NbdExport
{
    public required string Name { get; init; }

    public string? Device { get; init; }

    public bool Connected { get; init; }

    public DateTimeOffset? StartedAt { get; init; }
}

public sealed record DiskProgress
{
    public required string Id { get; init; }

    public string? Label { get; init; }

    public long PlannedBytes { get; init; }

    public long BytesTransferred { get; init; }

    public long ThroughputBps { get; init; }

    public double Percent { get; init; }

    public VmaDiskStatus Status { get; init; }

    /// <summary>Addition: "full" or "incremental" for this disk.</summary>
    public string? SyncType { get; init; }

    /// <summary>Addition: this disk's base change id (null for a full sync).</summary>
    public string? PreviousChangeId { get; init; }

    /// <summary>Addition: this disk's change id after the sync (known from the Snapshot stage on).</summary>
    public string? ChangeId { get; init; }

    /// <summary>Addition: why this disk gets a full sync although a previous change id was given (CBT reset, rejected change id).</summary>
    public string? FullSyncReason { get; init; }

    /// <summary>Addition: the disk's capacity, for context; never the basis of a percentage.</summary>
    public long CapacityBytes { get; init; }

    /// <summary>Addition: how many changed (or allocated) areas this sync moves.</summary>
    public int? BlocksChanged { get; init; }
}

/// <summary>One entry of the VMA's notes: the OMA writes each one to the JobLog once (by <see cref="Sequence"/>).</summary>
public sealed record JobNote
{
    public int Sequence { get; init; }

    public DateTimeOffset At { get; init; }

    public required string Kind { get; init; }

    /// <summary>"Information" or "Warning".</summary>
    public string Level { get; init; } = "Information";

    public required string Message { get; init; }
}
