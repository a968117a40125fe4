using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Migration.Contracts.Text;
using Migration.Contracts.Status;
using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;
using Migration.VmaAgent.Telemetry;
using Migration.VmaAgent.Transfer;

namespace Migration.VmaAgent.Jobs;

/// <summary>
/// Runs jobs through the nine stages, at most <c>Vma:Jobs:MaxConcurrentJobs</c> at once and one at a time per VM
/// (the rest wait as Queued).
/// Every failure, an explicit cancel included, ends the job Failed with an error; nothing escapes to the host. A graceful
/// stop of the VMA instead suspends each job: its copy drains and checkpoints, its journal and written target stay,
/// and the next start takes it up again as after a crash.
/// </summary>
public sealed partial class JobRunner(
    IReplicationSource source,
    TargetResolver targets,
    JobJournalStore journals,
    TimeProvider time,
    IOptions<VmaOptions> options,
    VmaMetrics metrics,
    ILogger<JobRunner> logger) : IDisposable
{
    private readonly JobOptions _options = options.Value.Jobs;
    private readonly SemaphoreSlim _slots = new(options.Value.Jobs.MaxConcurrentJobs);
    private readonly ConcurrentDictionary<ReplicationJob, Task> _running = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _vmLocks = new(StringComparer.Ordinal);

    public void Start(ReplicationJob job)
    {
        metrics.JobStarted();
        LogAccepted(job.JobId, SafeText.Escape(job.Vm.Name));
        // The job outlives the HTTP request that started it: without the request's execution context its log lines
        // carry the job's own scope, not the request's (RequestId, path, connection).
        using (ExecutionContext.SuppressFlow())
        {
            _running[job] = Task.Run(() => RunAsync(job));
        }
    }

    /// <summary>Waits for every job task to end (they end promptly once the host stops: their tokens are linked to it).</summary>
    public Task WhenAllStoppedAsync() => Task.WhenAll(_running.Values);

    public void Dispose()
    {
        _slots.Dispose();
        foreach (var gate in _vmLocks.Values)
        {
            gate.Dispose();
        }
    }

    private async Task RunAsync(ReplicationJob job)
    {
        var stage = ReplicationStage.Discover;
        var holdsSlot = false;
        SemaphoreSlim? vmLock = null;
        ISourceSnapshot? snapshot = null;
        var targetDisks = new ITargetDisk?[job.Disks.Count];
        JobJournal? journal = null;
        var suspended = false;
        // The scope's Stage entry is updated as the job moves on, so every log line carries the current stage.
        var scopeState = new JobScope(job.JobId, job.Vm.Name, stage);
        using var scope = logger.BeginScope(scopeState);
        var ct = job.CancellationToken;
        try
        {
            // Two jobs on one VM would fight over its snapshot and target images: they run one after the other.
            var vmGate = _vmLocks.GetOrAdd(job.Vm.Name, _ => new SemaphoreSlim(1));
            await vmGate.WaitAsync(ct);
            vmLock = vmGate;
            await _slots.WaitAsync(ct);
            holdsSlot = true;
            metrics.JobActive(1);

            stage = await EnterAsync(job, scopeState, ReplicationStage.Discover, VmaJobStatus.Preparing, ct);
            var vm = await source.FindVmAsync(job.Request.Vm!, ct)
                ?? throw new JobFailedException($"VM '{job.Request.Vm!.Display}' is no longer in the {source.Kind} inventory");
            var requestedTargets = job.Request.Target?.Disks ?? new Dictionary<string, Contracts.Vma.TargetDisk>();
            var unknown = requestedTargets.Keys.Where(id => vm.Disks.All(d => d.Id != id)).ToList();
            if (unknown.Count > 0)
            {
                throw new JobFailedException(
                    $"target.disks names {string.Join(", ", unknown.Select(id => $"'{id}'"))}, which VM '{vm.Name}' does not have (its disks: {string.Join(", ", vm.Disks.Select(d => d.Id))})");
            }

            foreach (var disk in job.Disks)
            {
                var uri = requestedTargets.TryGetValue(disk.Disk.Id, out var given) ? new Uri(given.Uri) : targets.DefaultUri(vm.Name, disk.Disk.Id);
                job.SetTarget(disk.Index, uri);
            }

            stage = await EnterAsync(job, scopeState, ReplicationStage.EnableCBT, VmaJobStatus.Preparing, ct);
            if (await source.EnableChangeTrackingAsync(vm, ct) is { } enabled)
            {
                job.AddNote("cbt-enabled", enabled);
            }

            job.Touch();

            stage = await EnterAsync(job, scopeState, ReplicationStage.QueryCBT, VmaJobStatus.Preparing, ct);
            foreach (var disk in job.Disks)
            {
                var (full, reason) = await ChooseSyncTypeAsync(job, vm, disk, ct);
                var previous = job.Request.PreviousChangeIds?.GetValueOrDefault(disk.Disk.Id);
                if (full && reason is not null && previous is not null)
                {
                    LogFallbackToFull(disk.Disk.Id, previous, reason);
                    job.AddNote("full-sync-fallback", $"Disk {disk.Disk.Id}: full sync instead of an incremental from {previous}: {reason}", "Warning");
                }

                job.PlanDisk(disk.Index, full, previous, full && previous is not null ? reason : null);
            }

            stage = await EnterAsync(job, scopeState, ReplicationStage.Snapshot, VmaJobStatus.Snapshotting, ct, VmaDiskStatus.Snapshotting);
            snapshot = await source.CreateSnapshotAsync(vm, $"migration-{job.JobId}", ct);
            foreach (var note in snapshot.Notes)
            {
                job.AddNote("snapshot", note, "Warning");
            }

            var plans = new IReadOnlyList<DiskArea>[job.Disks.Count];
            foreach (var disk in job.Disks)
            {
                var changeId = snapshot.ChangeIdOf(disk.Disk.Id);
                var areas = disk.FullSync
                    ? await snapshot.QueryChangedAreasAsync(disk.Disk.Id, "*", ct)
                    : await snapshot.QueryChangedAreasAsync(disk.Disk.Id, disk.PreviousChangeId!, ct);
                if (areas.InvalidReason is { } invalid)
                {
                    LogFallbackToFull(disk.Disk.Id, disk.PreviousChangeId!, invalid);
                    job.AddNote("full-sync-fallback", $"Disk {disk.Disk.Id}: full sync instead of an incremental from {disk.PreviousChangeId}: {invalid}", "Warning");
                    job.PlanDisk(disk.Index, fullSync: true, previousChangeId: null, fullSyncReason: invalid);
                    areas = await snapshot.QueryChangedAreasAsync(disk.Disk.Id, "*", ct);
                }

                plans[disk.Index] = areas.Areas;
                job.SetPlannedAreas(disk.Index, changeId, areas.Areas);
                LogPlanned(disk.Disk.Id, disk.FullSync ? "full" : "incremental", areas.Areas.Count, disk.PlannedBytes, changeId);
            }

            metrics.BytesPlanned(job.Disks.Sum(d => d.PlannedBytes));
            var resumeAt = new long[job.Disks.Count];
            var zeroedAtStart = new bool[job.Disks.Count];
            if (journals.Enabled)
            {
                journal = await StartJournalAsync(job, plans, resumeAt, zeroedAtStart, ct);
            }

            stage = await EnterAsync(job, scopeState, ReplicationStage.PrepareVolumes, VmaJobStatus.Snapshotting, ct);
            foreach (var disk in job.Disks)
            {
                var uri = disk.TargetUri!;
                var provider = targets.ProviderFor(uri);
                if (resumeAt[disk.Index] > 0)
                {
                    targetDisks[disk.Index] = await provider.ReopenAsync(uri, disk.Disk.CapacityBytes, disk.FullSync, zeroedAtStart[disk.Index], ct);
                    if (targetDisks[disk.Index] is null)
                    {
                        job.AddNote("resume", $"Disk {disk.Disk.Id}: the target written before the restart is gone; the disk is copied again from its start", "Warning");
                        resumeAt[disk.Index] = 0;
                        job.ResumeDisk(disk.Index, 0, disk.ResumeBase);
                        await journal!.RestartDiskAsync(disk.Index, ct);
                    }
                }

                if (targetDisks[disk.Index] is null)
                {
                    targetDisks[disk.Index] = await provider.OpenAsync(uri, disk.Disk.CapacityBytes, disk.FullSync, ct);
                    if (journal is not null)
                    {
                        await journal.SetTargetZeroedAsync(disk.Index, targetDisks[disk.Index]!.StartsZeroed, ct);
                    }
                }
                job.Touch();
            }

            stage = await EnterAsync(job, scopeState, ReplicationStage.StartExports, VmaJobStatus.Snapshotting, ct);
            job.StartExports([.. targetDisks.Select(t => (t!.ExportName, t.Device))]);

            stage = await EnterAsync(job, scopeState, ReplicationStage.Transfer, VmaJobStatus.Streaming, ct);
            // The copy is not cut off by a stop at once: it drains first, and only past the drain timeout is it aborted.
            using var drainDeadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
            using var copyCancel = CancellationTokenSource.CreateLinkedTokenSource(job.CancelledByRequest, drainDeadline.Token);
            await using (job.HostStopping.Register(() => drainDeadline.CancelAfter(_options.StopDrainTimeout)))
            await using (var limiter = new BandwidthLimiter(job.Request.BandwidthLimitBps ?? _options.ThroughputCapPerJob.Bytes, ChunkBytes(job)))
            {
                await Task.WhenAll(job.Disks.Select(disk =>
                    TransferDiskAsync(job, disk, snapshot, targetDisks[disk.Index]!, plans[disk.Index], limiter, journal, resumeAt[disk.Index], copyCancel.Token, ct)));
            }

            stage = await EnterAsync(job, scopeState, ReplicationStage.Finalize, VmaJobStatus.Finalizing, ct);
            await snapshot.DisposeAsync();
            snapshot = null;
            await CloseTargetsAsync(targetDisks);
            job.StopExports();

            stage = await EnterAsync(job, scopeState, ReplicationStage.PersistChangeIDs, VmaJobStatus.Finalizing, ct);
            job.Succeed();
            metrics.JobSucceeded();
            var document = job.Snapshot.Document;
            LogSucceeded(document.Cbt.Type, document.Aggregate.BytesTransferred, document.Aggregate.TotalBytes);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !job.CancellationRequested && journals.Enabled)
        {
            suspended = true;
            LogSuspended(stage);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            var error = job.CancellationRequested
                ? $"cancelled by request during {stage}"
                : $"cancelled during {stage}: the VMA is shutting down";
            Fail(job, stage, error, exception: null);
        }
        catch (JobFailedException ex)
        {
            Fail(job, stage, ex.Message, exception: null);
        }
        catch (Exception ex)
        {
            Fail(job, stage, $"{stage} failed: {ex.Message}", ex);
        }
        finally
        {
            await CleanUpAsync(job, snapshot, targetDisks, keepTargets: suspended);
            await CloseJournalAsync(job, journal, keep: suspended);
            metrics.JobEnded(job.JobId, job.Snapshot.Document.Status == VmaJobStatus.Succeeded);
            if (holdsSlot)
            {
                metrics.JobActive(-1);
                _slots.Release();
            }

            vmLock?.Release();

            job.DisposeCancellation();
            _running.TryRemove(job, out _);
        }
    }

    private async Task<(bool Full, string? Reason)> ChooseSyncTypeAsync(ReplicationJob job, SourceVm vm, DiskJobState disk, CancellationToken ct)
    {
        if (job.Request.SyncType == SyncType.Full)
        {
            return (true, null);
        }

        if (job.Request.PreviousChangeIds?.GetValueOrDefault(disk.Disk.Id) is not { } previous)
        {
            if (job.Request.SyncType == SyncType.Incremental)
            {
                LogNoBase(disk.Disk.Id);
            }

            return (true, "no previous change id");
        }

        var check = await source.CheckChangeIdAsync(vm, disk.Disk.Id, previous, ct);
        if (!check.Usable)
        {
            return (true, check.Reason);
        }

        var targetProblem = await targets.ProviderFor(disk.TargetUri!).CheckIncrementalBaseAsync(disk.TargetUri!, disk.Disk.CapacityBytes, ct);
        return targetProblem is null ? (false, null) : (true, targetProblem);
    }

    /// <summary><paramref name="copyCt"/> aborts the copy at once; <paramref name="ct"/> (which a graceful stop fires) only drains it.</summary>
    private async Task TransferDiskAsync(ReplicationJob job, DiskJobState disk, ISourceSnapshot snapshot, ITargetDisk target,
        IReadOnlyList<DiskArea> areas, BandwidthLimiter limiter, JobJournal? journal, long resumeAt, CancellationToken copyCt, CancellationToken ct)
    {
        job.StartDiskTransfer(disk.Index);
        var settings = new TransferSettings(ChunkBytes(job), _options.RequestsInFlight, _options.CheckpointInterval)
        {
            FlushBehindBytes = _options.FlushBehind.Bytes,
        };
        TransferCheckpoint? checkpoint = journal is null ? null
            : async (offset, token) =>
            {
                var flushed = JobJournalDisk.PlannedBelow(areas, offset);
                // Three intervals ahead: the next checkpoint extends it before progress gets near, so a steady copy
                // writes its journal once per checkpoint (each write is a file replaced and fsynced).
                var promise = Math.Max(flushed, job.PromiseAhead(disk.Index, _options.CheckpointInterval * 3));
                await journal.CheckpointAsync(disk.Index, offset, flushed, promise, token);
                job.SetPromised(disk.Index, promise, answersRequest: false);
            };
        await TransferEngine.CopyAsync(
            snapshot.OpenDisk(disk.Disk.Id), target, areas, disk.FullSync, settings, limiter,
            bytes =>
            {
                if (job.AddTransferred(disk.Index, bytes) is { } promise && journal is not null)
                {
                    _ = PromiseAsync(job, journal, disk.Index, promise, ct);
                }

                metrics.BytesTransferred(bytes);
            },
            time, copyCt, resumeAt, checkpoint,
            replayed: bytes =>
            {
                LogReplayed(disk.Disk.Id, bytes);
                job.AddNote("target-replay", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Disk {disk.Disk.Id}: the target's connection was replaced after it acknowledged writes no flush covered; {bytes} bytes were written again"), "Warning");
            },
            stopping: job.HostStopping);
        if (journal is not null)
        {
            await journal.PromiseAsync(disk.Index, disk.PlannedBytes, ct);
            job.SetPromised(disk.Index, disk.PlannedBytes);
        }

        await target.CommitAsync(ct);
        job.CompleteDisk(disk.Index);
        LogDiskCompleted(disk.Disk.Id, disk.BytesTransferred);
    }

    /// <summary>
    /// Writes the job's journal once its plan is known. A job taken up again after a restart resumes each disk whose
    /// plan is the same as the journal's (sync type, change id, areas) from the flushed offset; a disk whose plan changed
    /// is copied again from its start, and its progress never shows less than the journal says it showed.
    /// </summary>
    private async Task<JobJournal> StartJournalAsync(ReplicationJob job, IReadOnlyList<DiskArea>[] plans, long[] resumeAt, bool[] zeroedAtStart, CancellationToken ct)
    {
        job.HoldToJournal();
        var entries = new List<JobJournalDisk>();
        foreach (var disk in job.Disks)
        {
            var areas = plans[disk.Index];
            var entry = new JobJournalDisk
            {
                Id = disk.Disk.Id,
                FullSync = disk.FullSync,
                ChangeId = disk.ChangeId ?? "",
                PlannedBytes = disk.PlannedBytes,
                AreasDigest = JobJournalDisk.Digest(areas),
            };
            if (job.ResumeFrom?.Disks.FirstOrDefault(d => d.Id == disk.Disk.Id) is { } old)
            {
                var promised = Math.Clamp(old.PromisedBytes, 0, disk.PlannedBytes);
                if (old.FullSync == entry.FullSync && old.ChangeId == entry.ChangeId && old.AreasDigest == entry.AreasDigest
                    && old.PlannedBytes == entry.PlannedBytes && old.FlushedOffset > 0 && old.FlushedOffset <= disk.Disk.CapacityBytes
                    && old.FlushedBytes == JobJournalDisk.PlannedBelow(areas, old.FlushedOffset))
                {
                    resumeAt[disk.Index] = old.FlushedOffset;
                    zeroedAtStart[disk.Index] = old.TargetZeroed;
                    entry = entry with
                    {
                        FlushedOffset = old.FlushedOffset, FlushedBytes = old.FlushedBytes, PromisedBytes = Math.Max(promised, old.FlushedBytes), TargetZeroed = old.TargetZeroed,
                    };
                    job.ResumeDisk(disk.Index, old.FlushedBytes, entry.PromisedBytes);
                    LogResumed(disk.Disk.Id, old.FlushedOffset, old.FlushedBytes, disk.PlannedBytes);
                    job.AddNote("resume", string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"Disk {disk.Disk.Id}: resumed after a VMA restart at offset {old.FlushedOffset} ({old.FlushedBytes} of {disk.PlannedBytes} planned bytes already written and flushed)"));
                }
                else
                {
                    entry = entry with { PromisedBytes = promised };
                    job.ResumeDisk(disk.Index, 0, promised);
                    job.AddNote("resume", $"Disk {disk.Disk.Id}: its plan differs from the one journaled before the VMA restart (change id or areas); the disk is copied again from its start", "Warning");
                }
            }

            entries.Add(entry);
        }

        var journal = new JobJournal(journals, new JobJournalRecord
        {
            JobId = job.JobId,
            Fingerprint = job.Fingerprint,
            Request = System.Text.Json.JsonSerializer.SerializeToElement(job.Request, Contracts.Progress.ProgressJsonContext.Default.StartReplicationRequest),
            Disks = entries,
        });
        await journal.SaveAsync(ct);
        return journal;
    }

    private async Task PromiseAsync(ReplicationJob job, JobJournal journal, int disk, long bytes, CancellationToken ct)
    {
        try
        {
            await journal.PromiseAsync(disk, bytes, ct);
            job.SetPromised(disk, bytes);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The job is ending.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // Progress is not held back by a journal that cannot be written; a resume may then show less than was shown.
            LogJournalFailed(ex, job.JobId);
            job.SetPromised(disk, long.MaxValue);
        }
    }

    private async Task CloseJournalAsync(ReplicationJob job, JobJournal? journal, bool keep)
    {
        try
        {
            if (journal is not null)
            {
                await journal.CloseAsync(keep);
            }
            else if (job.ResumeFrom is not null && !keep)
            {
                journals.Delete(job.JobId);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogJournalFailed(ex, job.JobId);
        }
    }

    /// <summary>
    /// Under a cap, a chunk is at most a tenth of a second's worth (at least 4 KiB): bytes then flow evenly instead of
    /// in bursts that would make progress jumpy and stall other work on this host.
    /// </summary>
    private int ChunkBytes(ReplicationJob job)
    {
        var chunk = _options.ChunkSize.Bytes;
        var cap = job.Request.BandwidthLimitBps ?? _options.ThroughputCapPerJob.Bytes;
        if (cap > 0)
        {
            chunk = Math.Min(chunk, Math.Max(4096, cap / 10 / 4096 * 4096));
        }

        return (int)chunk;
    }

    private async Task<ReplicationStage> EnterAsync(ReplicationJob job, JobScope scopeState, ReplicationStage stage,
        VmaJobStatus status, CancellationToken ct, VmaDiskStatus? diskStatus = null)
    {
        job.EnterStage(stage, status, diskStatus);
        metrics.StageEntered(job.JobId, stage);
        scopeState.Stage = stage;
        LogStage(stage, status);

        if (_options.StageDelay > TimeSpan.Zero)
        {
            await Task.Delay(_options.StageDelay, time, ct);
        }

        return stage;
    }

    private void Fail(ReplicationJob job, ReplicationStage stage, string error, Exception? exception)
    {
        // Exception texts may quote paths or names from outside: the progress document and the log get them escaped.
        error = SafeText.Escape(error, 2000);
        job.Fail(error);
        metrics.JobFailed();
        LogFailed(exception, stage, error);
    }

    private async Task CleanUpAsync(ReplicationJob job, ISourceSnapshot? snapshot, ITargetDisk?[] targetDisks, bool keepTargets)
    {
        try
        {
            if (keepTargets)
            {
                foreach (var target in targetDisks)
                {
                    target?.KeepForResume();
                }
            }

            if (snapshot is not null)
            {
                await snapshot.DisposeAsync();
            }

            await CloseTargetsAsync(targetDisks);
        }
        catch (Exception ex)
        {
            LogCleanupFailed(ex, job.JobId);
        }
    }

    private static async Task CloseTargetsAsync(ITargetDisk?[] targetDisks)
    {
        for (var i = 0; i < targetDisks.Length; i++)
        {
            if (targetDisks[i] is { } target)
            {
                targetDisks[i] = null;
                await target.DisposeAsync();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted replication job {JobId} for VM {VmName}")]
    private partial void LogAccepted(string jobId, string vmName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Entering stage {Stage} (status {Status})")]
    private partial void LogStage(ReplicationStage stage, VmaJobStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disk {DiskId} falls back to a full sync: previous change id {PreviousChangeId} cannot be used: {Reason}")]
    private partial void LogFallbackToFull(string diskId, string previousChangeId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disk {DiskId}: incremental asked but no previous change id given; it gets a full sync")]
    private partial void LogNoBase(string diskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disk {DiskId}: {SyncType} sync of {Areas} areas, {PlannedBytes} bytes planned, change id at snapshot {ChangeId}")]
    private partial void LogPlanned(string diskId, string syncType, int areas, long plannedBytes, string changeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disk {DiskId} completed: {BytesTransferred} bytes written")]
    private partial void LogDiskCompleted(string diskId, long bytesTransferred);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replication job succeeded: {SyncType} sync, {BytesTransferred} of {TotalBytes} bytes")]
    private partial void LogSucceeded(string syncType, long bytesTransferred, long totalBytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Replication job failed in stage {Stage}: {Error}")]
    private partial void LogFailed(Exception? exception, ReplicationStage stage, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disk {DiskId} resumes at offset {Offset}: {FlushedBytes} of {PlannedBytes} planned bytes were written and flushed before the VMA restarted")]
    private partial void LogResumed(string diskId, long offset, long flushedBytes, long plannedBytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disk {DiskId}: the target's connection was replaced after it acknowledged writes no flush covered; {Bytes} bytes written again")]
    private partial void LogReplayed(string diskId, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The journal of job {JobId} cannot be written or removed")]
    private partial void LogJournalFailed(Exception exception, string jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job suspended during {Stage} by the VMA stopping: its journal stays and the next start resumes it")]
    private partial void LogSuspended(ReplicationStage stage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cleaning up job {JobId} failed")]
    private partial void LogCleanupFailed(Exception exception, string jobId);
}

/// <summary>A job cannot go on, for a reason the error text states fully (no stack trace needed).</summary>
public sealed class JobFailedException(string message) : Exception(message);
