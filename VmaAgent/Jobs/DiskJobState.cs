using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Transfer;

namespace Migration.VmaAgent.Jobs;

/// <summary>
/// One disk's mutable state inside a job; only changed under the job's lock, except <see cref="Landed"/>, which every
/// completed request adds to without it.
/// </summary>
internal sealed class DiskJobState(int index, SourceDiskInfo disk, ThroughputMeter meter)
{
    private long _landed;
    private long _promised = long.MaxValue;

    public int Index { get; } = index;

    public SourceDiskInfo Disk { get; } = disk;

    public ThroughputMeter Meter { get; } = meter;

    public VmaDiskStatus Status { get; set; } = VmaDiskStatus.Queued;

    public bool FullSync { get; set; } = true;

    public string? PreviousChangeId { get; set; }

    public string? ChangeId { get; set; }

    public string? FullSyncReason { get; set; }

    public long PlannedBytes { get; set; }

    public int? Areas { get; set; }

    /// <summary>Planned bytes of the requests completed (after a resume: from the journal's flushed bytes on).</summary>
    public long Landed
    {
        get => Volatile.Read(ref _landed);
        set => Volatile.Write(ref _landed, value);
    }

    /// <summary>The hot path of a transfer: one atomic add per completed request, no lock.</summary>
    public long AddLanded(long bytes) => Interlocked.Add(ref _landed, bytes);

    /// <summary>When the throughput meter was last sampled from the hot path (a <see cref="TimeProvider"/> timestamp).</summary>
    public long MeterSampledAt;

    /// <summary>After a resume, what the journal says progress may have shown already: progress never shows less.</summary>
    public long ResumeBase { get; set; }

    /// <summary>With a journal, the most progress may show until the journal promises more (written before it is shown).</summary>
    public long Promised
    {
        get => Volatile.Read(ref _promised);
        set => Volatile.Write(ref _promised, value);
    }

    public bool PromisePending { get; set; }

    /// <summary>How far ahead of landed bytes a promise reaches (set under the lock, read by the hot path).</summary>
    public long PromiseStepBytes;

    public long BytesTransferred => Math.Min(Math.Max(ResumeBase, Landed), Promised);

    public Uri? TargetUri { get; set; }

    public DiskProgress ToProgress()
    {
        var percent = PlannedBytes > 0 ? Math.Round(BytesTransferred * 100.0 / PlannedBytes, 2)
            : Status == VmaDiskStatus.Completed ? 100.0 : 0.0;
        return new DiskProgress
        {
            Id = Disk.Id,
            Label = Disk.Label,
            PlannedBytes = PlannedBytes,
            BytesTransferred = BytesTransferred,
            ThroughputBps = Status == VmaDiskStatus.Streaming ? Meter.BytesPerSecond() : 0,
            Percent = Math.Min(percent, 100.0),
            Status = Status,
            SyncType = FullSync ? "full" : "incremental",
            PreviousChangeId = FullSync ? null : PreviousChangeId,
            ChangeId = ChangeId,
            FullSyncReason = FullSyncReason,
            CapacityBytes = Disk.CapacityBytes,
            BlocksChanged = Areas,
        };
    }
}
