using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.Contracts;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Contracts.Text;
using Migration.Contracts.Vma;
using Migration.Oma.Persistence;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// What the saga does on each event, apart from choosing its next state. Every method is idempotent: a redelivered
/// message finds the job already changed and changes nothing twice.
/// </summary>
public sealed partial class ReplicationSteps(
    IReplicationStore store,
    IJobQueries queries,
    JobLog jobLog,
    TimeProvider time,
    IOptions<TrackingOptions> options,
    ILogger<ReplicationSteps> logger)
{
    private static readonly int[] Milestones = [25, 50, 75, 100];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TrackingOptions _options = options.Value;

    public async Task StartAsync(ReplicationState job, StartReplication command, ConsumeContext context)
    {
        var now = time.GetUtcNow();
        var vm = command.Vm!;
        job.JobId = command.JobId;
        job.Status = StatusMapping.Pending;
        job.VmaUrl = command.VmaUrl;
        job.VmName = vm.Display;
        job.VmRefKind = vm.Name is not null ? "name" : vm.Moref is not null ? "moref" : "uuid";
        job.RequestedSyncType = StatusMapping.ToDbSyncType(command.SyncType);
        job.TargetJson = command.Target is null ? null : JsonSerializer.Serialize(command.Target, Json);
        job.CreatedAt = now;
        job.UpdatedAt = now;
        job.NextPollAt = now + _options.PollInterval;

        var previous = command.SyncType == SyncType.Full
            ? new Dictionary<string, string>()
            : await store.GetLastChangeIdsAsync(job.VmName, context.CancellationToken);
        job.PreviousChangeIdsJson = JsonSerializer.Serialize(previous, Json);

        await jobLog.WriteAsync(job, "started", JobLog.StartingPolling, cancellationToken: context.CancellationToken);
        await context.Publish(ToVmaStart(job), context.CancellationToken);
    }

    /// <summary>Applies one observation; false when it was a duplicate, out of order, or throttled (nothing changed).</summary>
    public async Task<bool> ApplyAsync(ReplicationState job, ProgressObserved observed, ConsumeContext context)
    {
        if (job.LastContactAt is { } lastContact && observed.ObservedAt <= lastContact)
        {
            return false; // a redelivered or overtaken observation
        }

        var progress = observed.Progress;
        var stale = job.LastVmaUpdateAt is { } seen && progress.UpdatedAt < seen;
        var now = time.GetUtcNow();
        var status = stale ? job.Status : StatusMapping.ToDbStatus(progress.Status);
        var operation = stale ? job.CurrentOperation : progress.Stage.ToString();
        var percent = stale ? job.ProgressPercent : Math.Max(job.ProgressPercent, ToPercent(progress.Aggregate.Percent, status));

        var reasons = ProgressWritePolicy.Decide(
            new ProgressPoint(job.Status, job.CurrentOperation, job.ProgressPercent),
            job.UpdatedAt,
            new ProgressPoint(status, operation, percent),
            now,
            _options);
        if (job.ConsecutivePollFailures > 0)
        {
            reasons |= WriteReasons.PollingRecovered;
        }

        if (reasons == WriteReasons.None)
        {
            return false;
        }

        var previousOperation = job.CurrentOperation;
        var previousPercent = job.ProgressPercent;
        job.LastContactAt = observed.ObservedAt;
        job.ConsecutivePollFailures = 0;
        // From when the sweep asked, not from when the answer came: the sweep runs every interval, and a next poll
        // due a few milliseconds after its next run would wait for the run after that (a 4 s cadence, not 2 s).
        job.NextPollAt = (observed.RequestedAt ?? observed.ObservedAt) + _options.PollInterval;
        job.UpdatedAt = now;
        if (!stale)
        {
            job.LastVmaUpdateAt = progress.UpdatedAt;
            job.Status = status;
            job.CurrentOperation = operation;
            job.ProgressPercent = percent;
            job.TotalBytes = progress.Aggregate.TotalBytes;
            job.BytesTransferred = Math.Max(job.BytesTransferred, progress.Aggregate.BytesTransferred);
            job.TransferSpeedBps = progress.Aggregate.ThroughputBps;
            job.StartedAt ??= progress.StartedAt;
            if (progress.Stage > ReplicationStage.QueryCBT || StatusMapping.IsTerminal(progress.Status))
            {
                job.SyncType = progress.Cbt.Type;
            }
        }

        if (previousOperation != operation && Enum.TryParse<ReplicationStage>(operation, out var reached))
        {
            // Stages run in a fixed order; one that began and ended between two polls is recorded as passed, so
            // the trail always names all nine.
            var from = Enum.TryParse<ReplicationStage>(previousOperation, out var was) ? was + 1 : ReplicationStage.Discover;
            for (var stage = from; stage <= reached; stage++)
            {
                var message = stage == reached
                    ? $"Stage {stage} (status {status})"
                    : $"Stage {stage} (passed between polls)";
                await jobLog.WriteAsync(job, "stage", message, dedupeKey: $"stage-{stage}", cancellationToken: context.CancellationToken);
                await context.Publish(new ReplicationStageChanged
                {
                    JobId = job.JobId,
                    PreviousStage = stage == ReplicationStage.Discover ? null : stage - 1,
                    Stage = stage,
                    Status = status,
                    ChangedAt = now,
                }, context.CancellationToken);
            }
        }

        if (!stale && (previousOperation != operation || StatusMapping.IsTerminal(progress.Status)))
        {
            // The VMA's notes (CBT enabled, fallbacks to a full sync, orphaned snapshots removed) come at stage changes
            // and are all in the final document; the dedupe key writes each one once.
            foreach (var note in progress.Notes ?? [])
            {
                await jobLog.WriteAsync(job, $"vma-{note.Kind}", note.Message, note.Level == "Warning" ? LogLevel.Warning : LogLevel.Information,
                    dedupeKey: $"vma-note-{note.Sequence.ToString(CultureInfo.InvariantCulture)}", cancellationToken: context.CancellationToken);
            }
        }

        foreach (var milestone in Milestones.Where(m => previousPercent < m && percent >= m))
        {
            await jobLog.WriteAsync(job, "milestone", $"Progress reached {milestone.ToString(CultureInfo.InvariantCulture)}%",
                dedupeKey: $"milestone-{milestone}", cancellationToken: context.CancellationToken);
        }

        if (!stale && progress.Status == VmaJobStatus.Succeeded)
        {
            await CompleteAsync(job, progress, context);
        }
        else if (!stale && progress.Status == VmaJobStatus.Failed)
        {
            await FailAsync(job, progress.Error ?? "the VMA reported the job failed without a reason", context, progress);
        }
        else if (!stale)
        {
            await WriteDisksTolerantAsync(job, progress, context.CancellationToken);
        }

        return true;
    }

    public async Task RecordPollFailureAsync(ReplicationState job, ProgressPollFailed failed, ConsumeContext context)
    {
        if (job.LastContactAt is { } lastContact && failed.FailedAt <= lastContact)
        {
            return; // overtaken by a later success
        }

        job.ConsecutivePollFailures++;
        job.NextPollAt = (failed.RequestedAt ?? failed.FailedAt) + _options.NextPollDelay(job.ConsecutivePollFailures);
        job.UpdatedAt = time.GetUtcNow();
        await jobLog.WriteAsync(job, "poll-failed",
            $"Poll {job.ConsecutivePollFailures.ToString(CultureInfo.InvariantCulture)} in a row failed: {failed.Reason}",
            LogLevel.Warning, dedupeKey: PollFailureLogKey.For(failed.Reason), cancellationToken: context.CancellationToken);
        if (job.ConsecutivePollFailures == _options.FailuresBeforeBackoff)
        {
            await jobLog.WriteAsync(job, "backoff",
                $"{_options.FailuresBeforeBackoff.ToString(CultureInfo.InvariantCulture)} consecutive poll failures: polling less often (up to every {_options.MaxPollInterval})",
                LogLevel.Warning, cancellationToken: context.CancellationToken);
        }

        if (failed.JobUnknownToVma)
        {
            await jobLog.WriteAsync(job, "vma-restarted", "The VMA does not know this job (restarted?): sending the start request again",
                LogLevel.Warning, cancellationToken: context.CancellationToken);
            await context.Publish(ToVmaStart(job), context.CancellationToken);
        }
    }

    /// <summary>When the contact timeout fires: null to fail the job now, else how long until it may fire again.</summary>
    public TimeSpan? TimeUntilContactDeadline(ReplicationState job)
    {
        var deadline = (job.LastContactAt ?? job.CreatedAt) + _options.ContactTimeout;
        var left = deadline - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : null;
    }

    public Task TimeOutAsync(ReplicationState job, ConsumeContext context)
    {
        var since = job.LastContactAt is null ? "since the job started" : $"since {job.LastContactAt:O}";
        return FailAsync(job,
            $"{JobLog.ContactTimeoutExceeded}: no successful contact with the VMA at {job.VmaUrl} {since} (limit {_options.ContactTimeout})",
            context, progress: null, eventKind: "timeout");
    }

    public async Task CancelAsync(ReplicationState job, CancelReplication cancel, ConsumeContext context)
    {
        await context.Publish(new CancelVmaReplication { JobId = job.JobId, VmaUrl = job.VmaUrl }, context.CancellationToken);
        await FailAsync(job, $"Cancelled: {cancel.Reason ?? "cancelled by an operator"}", context, progress: null, eventKind: "cancelled");
    }

    public Task RejectAsync(ReplicationState job, VmaStartRejected rejected, ConsumeContext context) =>
        FailAsync(job, $"The VMA refused the start request (HTTP {rejected.HttpStatus.ToString(CultureInfo.InvariantCulture)}): {rejected.Reason}",
            context, progress: null);

    public Task IgnoreAsync(ReplicationState job, string what)
    {
        LogIgnored(logger, what, job.JobId, job.CorrelationId, job.Status);
        return Task.CompletedTask;
    }

    private async Task CompleteAsync(ReplicationState job, ReplicationProgress progress, ConsumeContext context)
    {
        var completedAt = progress.CompletedAt ?? time.GetUtcNow();
        job.Status = StatusMapping.Completed;
        job.ProgressPercent = 100m;
        job.TotalBytes = progress.Aggregate.TotalBytes;
        job.BytesTransferred = progress.Aggregate.BytesTransferred;
        job.CompletedAt = completedAt;
        job.NextPollAt = null;

        // Completion rows are not tolerant: if they cannot be written, the message is retried, and the job row is
        // not marked completed without its change ids.
        await store.UpsertDisksAsync(ToDiskRows(job, progress, completed: true), context.CancellationToken);
        await store.AddCbtHistoryAsync(progress.Disks.Select(d => ToHistory(job, d, progress, success: true)).ToList(), context.CancellationToken);
        await jobLog.WriteAsync(job, "completed", JobLog.CompletedStopping, dedupeKey: "completed", cancellationToken: context.CancellationToken);
        await jobLog.WriteAsync(job, "stopped", JobLog.StoppedPolling, dedupeKey: "stopped", cancellationToken: context.CancellationToken);
        await context.Publish(new ReplicationCompleted
        {
            JobId = job.JobId,
            CompletedAt = completedAt,
            SyncType = progress.Cbt.Type,
            BytesTransferred = job.BytesTransferred,
            ChangeIds = progress.Disks.Where(d => d.ChangeId is not null).ToDictionary(d => d.Id, d => d.ChangeId!),
        }, context.CancellationToken);
    }

    private async Task FailAsync(ReplicationState job, string error, ConsumeContext context, ReplicationProgress? progress, string eventKind = "failed")
    {
        var now = time.GetUtcNow();
        job.Status = StatusMapping.Failed;
        job.ErrorMessage = SafeText.Escape(error, 2000);
        job.CompletedAt = progress?.CompletedAt ?? now;
        job.NextPollAt = null;
        job.UpdatedAt = now;

        if (progress is not null)
        {
            await store.UpsertDisksAsync(ToDiskRows(job, progress, completed: false), context.CancellationToken);
        }

        var disks = await queries.GetDisksAsync(job.JobId, context.CancellationToken);
        var previous = PreviousChangeIds(job);
        var history = disks.Select(d =>
        {
            var reported = progress?.Disks.FirstOrDefault(p => p.Id == d.DiskId);
            var success = d.SyncStatus == StatusMapping.Completed;
            return new CbtHistoryRow
            {
                JobId = job.JobId,
                DiskId = d.DiskId,
                ChangeId = success ? d.DiskChangeId : null,
                PreviousChangeId = reported?.PreviousChangeId ?? previous.GetValueOrDefault(d.DiskId),
                SyncType = reported?.SyncType ?? job.SyncType ?? "full",
                BlocksChanged = reported?.BlocksChanged,
                BytesTransferred = d.BytesSynced,
                SyncDurationSeconds = DurationSeconds(job),
                SyncSuccess = success,
                CreatedAt = now,
            };
        }).ToList();
        await store.AddCbtHistoryAsync(history, context.CancellationToken);

        var level = eventKind == "cancelled" ? LogLevel.Warning : LogLevel.Error;
        var message = eventKind == "timeout" ? JobLog.ContactTimeoutExceeded : error;
        await jobLog.WriteAsync(job, eventKind, message, level, dedupeKey: "failed", cancellationToken: context.CancellationToken);
        if (eventKind == "timeout")
        {
            await jobLog.WriteAsync(job, "failed", error, LogLevel.Error, dedupeKey: "failed-detail", cancellationToken: context.CancellationToken);
        }

        await jobLog.WriteAsync(job, "stopped", JobLog.StoppedPolling, dedupeKey: "stopped", cancellationToken: context.CancellationToken);
        await context.Publish(new ReplicationFailed { JobId = job.JobId, FailedAt = now, Error = error }, context.CancellationToken);
    }

    /// <summary>
    /// The seed: "disk update failures don't affect job-level updates". A failed disk write is logged and the next
    /// written observation writes every disk again.
    /// </summary>
    private async Task WriteDisksTolerantAsync(ReplicationState job, ReplicationProgress progress, CancellationToken cancellationToken)
    {
        if (progress.Disks.Count == 0)
        {
            return;
        }

        try
        {
            await store.UpsertDisksAsync(ToDiskRows(job, progress, completed: false), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogDiskWriteFailed(logger, ex, job.JobId, job.CorrelationId);
        }
    }

    private List<DiskRow> ToDiskRows(ReplicationState job, ReplicationProgress progress, bool completed)
    {
        var now = time.GetUtcNow();
        return progress.Disks.Select(d => new DiskRow
        {
            JobId = job.JobId,
            DiskId = d.Id,
            Label = d.Label,
            SyncStatus = completed ? StatusMapping.Completed : StatusMapping.ToDbStatus(d.Status),
            SyncProgressPercent = completed ? 100m : ToPercent(d.Percent, StatusMapping.ToDbStatus(d.Status)),
            BytesSynced = d.BytesTransferred,
            PlannedBytes = d.PlannedBytes,
            DiskChangeId = completed || d.Status == VmaDiskStatus.Completed ? d.ChangeId : null,
            UpdatedAt = now,
        }).ToList();
    }

    private CbtHistoryRow ToHistory(ReplicationState job, DiskProgress disk, ReplicationProgress progress, bool success) => new()
    {
        JobId = job.JobId,
        DiskId = disk.Id,
        ChangeId = disk.ChangeId,
        PreviousChangeId = disk.PreviousChangeId,
        SyncType = disk.SyncType ?? progress.Cbt.Type,
        BlocksChanged = disk.BlocksChanged,
        BytesTransferred = disk.BytesTransferred,
        SyncDurationSeconds = DurationSeconds(job),
        SyncSuccess = success,
        CreatedAt = time.GetUtcNow(),
    };

    private static int DurationSeconds(ReplicationState job)
    {
        var start = job.StartedAt ?? job.CreatedAt;
        var end = job.CompletedAt ?? start;
        return (int)Math.Max(0, Math.Round((end - start).TotalSeconds));
    }

    private static decimal ToPercent(double percent, string status)
    {
        if (status == StatusMapping.Completed)
        {
            return 100m;
        }

        var clamped = double.IsFinite(percent) ? Math.Clamp(percent, 0, 100) : 0;
        return Math.Round((decimal)clamped, 2, MidpointRounding.ToZero);
    }

    private static Dictionary<string, string> PreviousChangeIds(ReplicationState job) =>
        job.PreviousChangeIdsJson is null
            ? []
            : JsonSerializer.Deserialize<Dictionary<string, string>>(job.PreviousChangeIdsJson, Json) ?? [];

    private static StartVmaReplication ToVmaStart(ReplicationState job) => new()
    {
        JobId = job.JobId,
        VmaUrl = job.VmaUrl,
        Vm = job.VmRefKind switch
        {
            "moref" => new VmReference { Moref = job.VmName },
            "uuid" => new VmReference { Uuid = job.VmName },
            _ => new VmReference { Name = job.VmName },
        },
        SyncType = job.RequestedSyncType switch
        {
            "full" => SyncType.Full,
            "incremental" => SyncType.Incremental,
            _ => SyncType.Auto,
        },
        PreviousChangeIds = PreviousChangeIds(job),
        Target = job.TargetJson is null ? null : JsonSerializer.Deserialize<ReplicationTarget>(job.TargetJson, Json),
    };

    [LoggerMessage(LogLevel.Information, "Ignored {What} for job {JobId} (correlation {CorrelationId}) in status {Status}")]
    private static partial void LogIgnored(ILogger logger, string what, string jobId, Guid correlationId, string status);

    [LoggerMessage(LogLevel.Warning, "Disk rows of job {JobId} (correlation {CorrelationId}) could not be written; the next observation writes them again")]
    private static partial void LogDiskWriteFailed(ILogger logger, Exception exception, string jobId, Guid correlationId);
}
