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
/// successive reads never see bytes or percentages go backwards. A completed request only adds to its disk's counter
/// and marks the snapshot stale (thousands a second, no lock, no document built); the next reader builds the document
/// under the lock, from counters that only grow.
/// </summary>
public sealed class ReplicationJob
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly List<DiskJobState> _disks;
    private readonly MedianThroughputMeter _etaMeter;
    private readonly CancellationTokenSource _cancellation;
    private readonly CancellationTokenSource _cancelledByRequest = new();
    private IReadOnlyList<NbdExport> _exports = [];
    private readonly List<JobNote> _notes = [];
    private ReplicationStage _stage = ReplicationStage.Discover;
    private VmaJobStatus _status = VmaJobStatus.Queued;
    private string? _error;
    private DateTimeOffset? _completedAt;
    private ProgressSnapshot _snapshot;
    private bool _cancellationDisposed;
    private int _stale;

    internal ReplicationJob(string jobId, string fingerprint, StartReplicationRequest request, SourceVm vm,
        TimeProvider time, TimeSpan throughputWindow, CancellationToken hostStopping, TimeSpan? etaWindow = null, TimeSpan? etaChangeAfter = null)
    {
        JobId = jobId;
        Fingerprint = fingerprint;
        Request = request;
        Vm = vm;
        _time = time;
        HostStopping = hostStopping;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(hostStopping, _cancelledByRequest.Token);
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

    public ProgressSnapshot Snapshot => Volatile.Read(ref _stale) == 0 ? Volatile.Read(ref _snapshot) : Refresh();

    public bool IsFinished => StatusMapping.IsTerminal(Snapshot.Document.Status);

    public bool CancellationRequested { get; private set; }

    /// <summary>The journal this job was taken up again from, after the VMA restarted; null for a job started by a request.</summary>
    internal JobJournalRecord? ResumeFrom { get; init; }

    /// <summary>Fires on an explicit cancel and when the VMA stops: every stage but the copy ends at once.</summary>
    internal CancellationToken CancellationToken => _cancellation.Token;

    /// <summary>Fires only on an explicit cancel (DELETE): the copy then ends at once, for good.</summary>
    internal CancellationToken CancelledByRequest => _cancelledByRequest.Token;

    /// <summary>The VMA is stopping (SIGTERM): the copy drains, checkpoints, and the journal stays for the next start.</summary>
    internal CancellationToken HostStopping { get; }

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
                _cancelledByRequest.Cancel();
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
        var disk = _disks[index];
        var landed = disk.AddLanded(bytes);
        Volatile.Write(ref _stale, 1);
        var now = _time.GetTimestamp();
        var sampleMeters = _time.GetElapsedTime(Volatile.Read(ref disk.MeterSampledAt), now) >= MeterResolution;
        var promised = disk.Promised;
        var nearPromise = promised != long.MaxValue && landed > promised - PromiseStepOf(disk) / 2;
        if (!sampleMeters && !nearPromise)
        {
            return null;
        }

        long? wanted = null;
        lock (_gate)
        {
            if (sampleMeters)
            {
                Volatile.Write(ref disk.MeterSampledAt, now);
                RecordMeters(disk);
            }

            var step = PromiseStepOf(disk);
            if (disk.Promised != long.MaxValue && !disk.PromisePending && disk.Promised < disk.PlannedBytes && disk.Landed > disk.Promised - step / 2)
            {
                disk.PromisePending = true;
                wanted = Math.Min(disk.PlannedBytes, disk.Landed + step);
            }
        }

        return wanted;
    }

    /// <summary>The meters need a sample per tenth of a second, not per request; a reader samples them too.</summary>
    private static readonly TimeSpan MeterResolution = TimeSpan.FromMilliseconds(100);

    private static long PromiseStepOf(DiskJobState disk) => Math.Max(Math.Max(disk.PlannedBytes / 20, PromiseStep), Volatile.Read(ref disk.PromiseStepBytes));

    /// <summary>
    /// What a checkpoint's journal write should promise as well: <paramref name="horizon"/> worth of the disk's current
    /// throughput past what landed (at least the usual step), so that a steady copy needs no journal write between
    /// checkpoints. Caps at the plan; the caller writes it, then calls <see cref="SetPromised"/>.
    /// </summary>
    internal long PromiseAhead(int index, TimeSpan horizon)
    {
        lock (_gate)
        {
            var disk = _disks[index];
            var ahead = (long)(disk.Meter.BytesPerSecond() * horizon.TotalSeconds);
            Volatile.Write(ref disk.PromiseStepBytes, ahead);
            return Math.Min(disk.PlannedBytes, disk.Landed + PromiseStepOf(disk));
        }
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
            _cancelledByRequest.Dispose();
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
            Publish();
        }
    }

    /// <summary>Builds the document again for a reader after requests moved bytes since the last one.</summary>
    private ProgressSnapshot Refresh()
    {
        lock (_gate)
        {
            if (StatusMapping.IsTerminal(_status))
            {
                // An ended job's document is final; a request that completed after it changes nothing.
                Volatile.Write(ref _stale, 0);
            }
            else if (Volatile.Read(ref _stale) != 0)
            {
                foreach (var disk in _disks)
                {
                    RecordMeters(disk);
                }

                Publish();
            }

            return _snapshot;
        }
    }

    /// <summary>Under the lock. The stale mark is cleared before the counters are read: an add after it marks it again.</summary>
    private void Publish()
    {
        Interlocked.Exchange(ref _stale, 0);
        Volatile.Write(ref _snapshot, Build(_time.GetUtcNow()));
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
