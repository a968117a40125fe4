using MassTransit;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// One replication job as the saga sees it: this is the <c>replication_jobs</c> row (the saga is its only writer).
/// </summary>
/// <remarks>
/// Property names map one to one onto snake_case columns of <c>replication_jobs</c>. <see cref="Version"/> is the
/// optimistic-concurrency column: the repository increments it on every UPDATE and refuses a stale one.
/// </remarks>
public sealed class ReplicationState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }

    /// <summary>The integrator's job id (<c>replication_jobs.id</c>).</summary>
    public string JobId { get; set; } = "";

    /// <summary>
    /// The state machine's state (<c>saga_state</c>): one state per database status (Pending … Completed, Failed), so
    /// the job's state is held once.
    /// </summary>
    public string CurrentState { get; set; } = "";

    /// <summary>The database status (<c>status</c>): the seed's name of <see cref="CurrentState"/>, never set on its own.</summary>
    public string Status => JobStates.StatusOf(CurrentState);

    /// <summary>One of the nine stages, by name; null before the VMA reports one.</summary>
    public string? CurrentOperation { get; set; }

    public decimal ProgressPercent { get; set; }

    public long BytesTransferred { get; set; }

    public long TotalBytes { get; set; }

    public long TransferSpeedBps { get; set; }

    /// <summary>The VMA's <c>aggregate.eta_seconds</c> of the written observation, rounded up (null: it gave none).</summary>
    public int? EtaSeconds { get; set; }

    public string? ErrorMessage { get; set; }

    public string VmaUrl { get; set; } = "";

    /// <summary>The VM as the integrator named it (name, moref or uuid: see <see cref="VmRefKind"/>).</summary>
    public string VmName { get; set; } = "";

    /// <summary>"name", "moref" or "uuid".</summary>
    public string VmRefKind { get; set; } = "name";

    /// <summary>Requested sync type: auto, full, incremental.</summary>
    public string RequestedSyncType { get; set; } = "auto";

    /// <summary>The sync type the VMA is really running (full or incremental), once known.</summary>
    public string? SyncType { get; set; }

    /// <summary>The integrator's optional target, as JSON (null: the VMA's default target).</summary>
    public string? TargetJson { get; set; }

    /// <summary>The change ids the OMA sent as the incremental's base, per disk id, as JSON.</summary>
    public string? PreviousChangeIdsJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Last write of this row (the throttle's clock).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Last successful contact with the VMA.</summary>
    public DateTimeOffset? LastContactAt { get; set; }

    /// <summary>The VMA's <c>updated_at</c> of the newest document applied: older documents are out of order.</summary>
    public DateTimeOffset? LastVmaUpdateAt { get; set; }

    /// <summary>Earliest time the sweep may poll again; null once the job is terminal.</summary>
    public DateTimeOffset? NextPollAt { get; set; }

    public int ConsecutivePollFailures { get; set; }

    /// <summary>When the newest failed poll counted in <see cref="ConsecutivePollFailures"/> failed (a redelivery is not counted again).</summary>
    public DateTimeOffset? LastPollFailedAt { get; set; }

    /// <summary>Token of the scheduled <c>ContactTimeout</c> (stale tokens are ignored).</summary>
    public Guid? ContactTimeoutTokenId { get; set; }

    public int Version { get; set; }

    /// <summary>What the job's <c>vm_disks</c> rows say, one hash per disk (<see cref="Saga.DiskDigest"/>): unchanged disks are not written again.</summary>
    public string? DiskDigest { get; set; }

    /// <summary>
    /// The rows beside the job row that the current step adds; the saga repository writes them with the job row, in
    /// one transaction, when it saves the instance. Not a column.
    /// </summary>
    public UnsavedRows Unsaved { get; } = new();
}
