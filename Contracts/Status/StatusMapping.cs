namespace Migration.Contracts.Status;

/// <summary>
/// The seed's one mapping from what the VMA reports to what the database stores. Nothing else in the
/// product spells these strings.
/// </summary>
public static class StatusMapping
{
    public const string Pending = "pending";
    public const string Preparing = "preparing";
    public const string Snapshotting = "snapshotting";
    public const string Streaming = "streaming";
    public const string Finalizing = "finalizing";
    public const string Completed = "completed";
    public const string Failed = "failed";

    /// <summary>Disk rows say "syncing" where jobs say "streaming" (the seed's vm_disks.sync_status).</summary>
    public const string DiskSyncing = "syncing";

    /// <summary>Job statuses a poll sweep treats as live.</summary>
    public static readonly IReadOnlyList<string> ActiveJobStatuses = [Pending, Preparing, Snapshotting, Streaming, Finalizing];

    public static readonly IReadOnlyList<string> TerminalJobStatuses = [Completed, Failed];

    public static string ToDbStatus(VmaJobStatus status) => status switch
    {
        VmaJobStatus.Queued => Pending,
        VmaJobStatus.Preparing => Preparing,
        VmaJobStatus.Snapshotting => Snapshotting,
        VmaJobStatus.Streaming => Streaming,
        VmaJobStatus.Finalizing => Finalizing,
        VmaJobStatus.Succeeded => Completed,
        VmaJobStatus.Failed => Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown VMA job status"),
    };

    public static string ToDbStatus(VmaDiskStatus status) => status switch
    {
        VmaDiskStatus.Queued => Pending,
        VmaDiskStatus.Snapshotting => Snapshotting,
        VmaDiskStatus.Streaming => DiskSyncing,
        VmaDiskStatus.Completed => Completed,
        VmaDiskStatus.Failed => Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown VMA disk status"),
    };

    public static bool IsTerminal(VmaJobStatus status) => status is VmaJobStatus.Succeeded or VmaJobStatus.Failed;

    public static bool IsTerminal(string dbStatus) => dbStatus is Completed or Failed;

    public static string ToDbSyncType(SyncType type) => type switch
    {
        SyncType.Full => "full",
        SyncType.Incremental => "incremental",
        _ => "auto",
    };
}
