using System.Globalization;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Transfer;

namespace Migration.VmaAgent.Jobs;

/// <summary>
/// One replication job's state. The runner changes it through the methods below, each under a short lock that
/// ends by publishing a new immutable <see cref="ProgressSnapshot"/>; readers only ever read that snapshot, so
/// successive reads never see bytes or percentages go backwards.
/// </summary>
public sealed class ReplicationJob
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly List<DiskJobState> _disks;
    private readonly MedianThroughputMeter _etaMeter;
    private readonly CancellationTokenSource _cancellation;
    private IReadOnlyList<NbdExport> _exports = [];
    private readonly List<JobNote> _notes = [];
    private ReplicationStage _stage = ReplicationStage.Discover;
    private VmaJobStatus _status = VmaJobStatus.Queued;
    private string? _error;
    private DateTimeOffset? _completedAt;
    private ProgressSnapshot _snapshot;
    private bool _cancellationDisposed;

    internal ReplicationJob(string jobId, string fingerprint, StartReplicationRequest request, SourceVm vm,
        TimeProvider time, TimeSpan throughputWindow, CancellationToken hostStopping, TimeSpan? etaWindow = null, TimeSpan? etaChangeAfter = null)
    {
        JobId = jobId;
        Fingerprint = fingerprint;
        Request = request;
        Vm = vm;
        _time = time;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(hostStopping);
        StartedAt = time.GetUtcNow();
        _disks = [.. vm.Disks.Select((disk, index) => new DiskJobState(index, disk, new ThroughputMeter(time, throughputWindow)))];
        _etaMeter = new MedianThroughputMeter(time, etaWindow ?? JobOptions.DefaultEtaWindow, etaChangeAfter ?? JobOptions.DefaultEtaChangeAfter);
        _snapshot = Build(StartedAt);
    }

    public string JobId { get; }

    /// <summary>The canonical form of the start request: the same body again is the same job.</summary>
    public string Fingerprint { get; }

    public StartReplicationRequest Request { get; }

    public SourceVm Vm { get; }

    public DateTimeOffset StartedAt { get; }

    public ProgressSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public bool IsFinished => StatusMapping.IsTerminal(Snapshot.Document.Status);

    public bool CancellationRequested { get; private set; }

    /// <summary>The journal this job was taken up again from, after the VMA restarted; null for a job started by a request.</summary>
    internal JobJournalRecord? ResumeFrom { get; init; }

    internal CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>Asks the job to stop; false when it had already finished.</summary>
    public bool RequestCancel()
    {
        lock (_gate)
        {
            if (StatusMapping.IsTerminal(_status))
            {
                return false;
            }

            CancellationRequested = true;
            if (!_cancellationDisposed)
            {
                _cancellation.Cancel();
            }
        }

        return true;
    }

    internal void EnterStage(ReplicationStage stage, VmaJobStatus status, VmaDiskStatus? unfinishedDisks = null) => Update(() =>
    {
        _stage = stage;
        _status = status;
        if (unfinishedDisks is { } diskStatus)
        {
            foreach (var disk in _disks.Where(d => d.Status is not (VmaDiskStatus.Completed or VmaDiskStatus.Failed)))
            {
                disk.Status = diskStatus;
            }
        }
    });

    /// <summary>Publishes the same state with a fresh updated_at: work is going on inside a stage.</summary>
    internal void Touch() => Update(() => { });

    internal IReadOnlyList<DiskJobState> Disks => _disks;

    internal void PlanDisk(int index, bool fullSync, string? previousChangeId, string? fullSyncReason = null) => Update(() =>
    {
        _disks[index].FullSync = fullSync;
        _disks[index].PreviousChangeId = fullSync ? null : previousChangeId;
        _disks[index].FullSyncReason = fullSync ? fullSyncReason : null;
    });

    /// <summary>Records something the OMA's JobLog should show (CBT enabled, a fallback to a full sync, an orphaned snapshot removed).</summary>
    internal void AddNote(string kind, string message, string level = "Information") => Update(() =>
        _notes.Add(new JobNote { Sequence = _notes.Count + 1, At = _time.GetUtcNow(), Kind = kind, Level = level, Message = message }));

    internal void SetTarget(int index, Uri uri) => Update(() => _disks[index].TargetUri = uri);

    internal void SetPlannedAreas(int index, string changeId, IReadOnlyList<DiskArea> areas) => Update(() =>
    {
        var disk = _disks[index];
        disk.ChangeId = changeId;
        disk.PlannedBytes = areas.Sum(a => a.Length);
        disk.Areas = areas.Count;
    });

    /// <summary>One export per disk, in disk order: the target's export name (a job-made name for file targets) and device.</summary>
    internal void StartExports(IReadOnlyList<(string? Name, string Device)> targets) => Update(() =>
    {
        var now = _time.GetUtcNow();
        _exports = [.. _disks.Select(d => new NbdExport
        {
            Name = targets[d.Index].Name ?? string.Create(CultureInfo.InvariantCulture, $"job-{JobId}-disk-{d.Index}"),
            Device = targets[d.Index].Device,
            Connected = true,
            StartedAt = now,
        })];
    });

    internal void StopExports() => Update(() => _exports = [.. _exports.Select(e => e with { Connected = false })]);

    internal void StartDiskTransfer(int index) => Update(() =>
    {
        var disk = _disks[index];
        disk.Status = VmaDiskStatus.Streaming;
        RecordMeters(disk);
    });

    /// <summary>
    /// Counts a completed request. With a journal, returns the byte count the journal should promise next when progress
    /// comes near what it promised (the caller writes it, then calls <see cref="SetPromised"/>); else null.
    /// </summary>
    internal long? AddTransferred(int index, long bytes)
    {
        long? wanted = null;
        Update(() =>
        {
            var disk = _disks[index];
            disk.Landed += bytes;
            RecordMeters(disk);
            var step = Math.Max(disk.PlannedBytes / 20, PromiseStep);
            if (disk.Promised != long.MaxValue && !disk.PromisePending && disk.Promised < disk.PlannedBytes && disk.Landed > disk.Promised - step / 2)
            {
                disk.PromisePending = true;
                wanted = Math.Min(disk.PlannedBytes, disk.Landed + step);
            }
        });
        return wanted;
    }

    private const long PromiseStep = 8 << 20;

    /// <summary>Samples the disk's throughput meter and the job's ETA meter after the disk's bytes moved (under the gate).</summary>
    private void RecordMeters(DiskJobState disk)
    {
        disk.Meter.Record(disk.BytesTransferred);
        _etaMeter.Record(_disks.Sum(d => d.BytesTransferred));
    }

    /// <summary>Progress is held to what the journal has promised (0 until its first write).</summary>
    internal void HoldToJournal() => Update(() =>
    {
        foreach (var disk in _disks)
        {
            disk.Promised = Math.Max(disk.ResumeBase, 0);
        }
    });

    internal void SetPromised(int index, long promised, bool answersRequest = true) => Update(() =>
    {
        var disk = _disks[index];
        disk.Promised = Math.Max(disk.Promised, promised);
        disk.PromisePending &= !answersRequest;
        RecordMeters(disk);
    });

    /// <summary>Resumes a disk: its flushed bytes count as landed and progress starts where the journal says it was.</summary>
    internal void ResumeDisk(int index, long flushedBytes, long promisedBytes) => Update(() =>
    {
        var disk = _disks[index];
        disk.Landed = flushedBytes;
        disk.ResumeBase = Math.Min(promisedBytes, disk.PlannedBytes);
        disk.Promised = Math.Max(disk.ResumeBase, flushedBytes);
        RecordMeters(disk);
    });

    internal void CompleteDisk(int index) => Update(() => _disks[index].Status = VmaDiskStatus.Completed);

    internal void Succeed() => Update(() =>
    {
        _status = VmaJobStatus.Succeeded;
        _completedAt = _time.GetUtcNow();
    });

    internal void Fail(string error) => Update(() =>
    {
        _status = VmaJobStatus.Failed;
        _error = error;
        _completedAt = _time.GetUtcNow();
        foreach (var disk in _disks.Where(d => d.Status != VmaDiskStatus.Completed))
        {
            disk.Status = VmaDiskStatus.Failed;
        }

        _exports = [.. _exports.Select(e => e with { Connected = false })];
    });

    internal void DisposeCancellation()
    {
        lock (_gate)
        {
            _cancellationDisposed = true;
            _cancellation.Dispose();
        }
    }

    private void Update(Action change)
    {
        lock (_gate)
        {
            if (StatusMapping.IsTerminal(_status))
            {
                return;
            }

            change();
            Volatile.Write(ref _snapshot, Build(_time.GetUtcNow()));
        }
    }

    /// <summary>Only while bytes move (or once they all did): before the transfer no rate is known, after a failure none is coming.</summary>
    private double? EtaSeconds(long total, long transferred) => _status switch
    {
        VmaJobStatus.Streaming => EtaEstimator.Seconds(total, transferred, _etaMeter.BytesPerSecond()) is { } eta ? Math.Round(eta, 1) : null,
        VmaJobStatus.Finalizing or VmaJobStatus.Succeeded => 0,
        _ => null,
    };

    private ProgressSnapshot Build(DateTimeOffset now)
    {
        var disks = _disks.Select(d => d.ToProgress()).ToList();
        var total = disks.Sum(d => d.PlannedBytes);
        var transferred = disks.Sum(d => d.BytesTransferred);
        var percent = total > 0 ? Math.Round(transferred * 100.0 / total, 2)
            : _status == VmaJobStatus.Succeeded ? 100.0 : 0.0;
        var first = disks.FirstOrDefault();
        return new ProgressSnapshot(new ReplicationProgress
        {
            JobId = JobId,
            Stage = _stage,
            Status = _status,
            StartedAt = StartedAt,
            UpdatedAt = now,
            Aggregate = new AggregateProgress
            {
                TotalBytes = total,
                BytesTransferred = transferred,
                ThroughputBps = disks.Sum(d => d.ThroughputBps),
                Percent = Math.Min(percent, 100.0),
                EtaSeconds = EtaSeconds(total, transferred),
            },
            Cbt = new CbtInfo
            {
                Type = disks.Count > 0 && disks.All(d => d.SyncType == "incremental") ? "incremental" : "full",
                PreviousChangeId = first?.PreviousChangeId,
                ChangeId = first?.ChangeId,
            },
            Nbd = new NbdInfo { Exports = _exports },
            Disks = disks,
            VmName = Vm.Name,
            Notes = [.. _notes],
            Error = _error,
            CompletedAt = _completedAt,
        });
    }
}
