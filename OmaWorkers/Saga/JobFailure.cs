using Migration.Contracts;
using Migration.Contracts.Progress;
using Migration.Contracts.Status;
using Migration.Contracts.Text;
using Migration.Oma.Persistence;
using MassTransit;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// What failing a job writes, whatever the <see cref="FailureKind"/>: the job row's failed fields, the disks' last
/// state, one CBT history row per disk (unsuccessful unless the disk completed), the JobLog trail and
/// <see cref="ReplicationFailed"/>.
/// </summary>
public sealed class JobFailure(IJobQueries queries, JobLog jobLog, TimeProvider time)
{
    public async Task FailAsync(ReplicationState job, FailureKind kind, string error, ReplicationProgress? progress, ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(context);
        var now = time.GetUtcNow();
        job.ErrorMessage = SafeText.Escape(error, 2000);
        job.CompletedAt = progress?.CompletedAt ?? now;
        job.NextPollAt = null;
        job.UpdatedAt = now;

        // The rows of this step are not written yet: the history is built from the stored disks merged with the
        // document's, by the same rules the disk upsert applies (a finished disk never reopens).
        var stored = (await queries.GetDisksAsync(job.JobId, context.CancellationToken)).ToDictionary(d => d.DiskId, StringComparer.Ordinal);
        var reported = progress is null ? [] : ProgressRows.Disks(job, progress, completed: false, now);
        if (reported.Count > 0)
        {
            job.Unsaved.UpsertDisks(reported, mayFail: false);
        }

        var disks = stored.Keys.Union(reported.Select(r => r.DiskId), StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var previous = ProgressRows.PreviousChangeIds(job);
        job.Unsaved.AddHistory(disks.Select(diskId =>
        {
            var row = stored.GetValueOrDefault(diskId);
            var fresh = reported.FirstOrDefault(r => r.DiskId == diskId);
            var document = progress?.Disks.FirstOrDefault(p => p.Id == diskId);
            var status = row is not null && StatusMapping.IsTerminal(row.SyncStatus) ? row.SyncStatus : fresh?.SyncStatus ?? row!.SyncStatus;
            var success = status == StatusMapping.Completed;
            return new CbtHistoryRow
            {
                JobId = job.JobId,
                DiskId = diskId,
                ChangeId = success ? row?.DiskChangeId ?? fresh?.DiskChangeId : null,
                PreviousChangeId = document?.PreviousChangeId ?? previous.GetValueOrDefault(diskId),
                SyncType = document?.SyncType ?? job.SyncType ?? "full",
                BlocksChanged = document?.BlocksChanged,
                BytesTransferred = Math.Max(row?.BytesSynced ?? 0, fresh?.BytesSynced ?? 0),
                SyncDurationSeconds = ProgressRows.DurationSeconds(job),
                SyncSuccess = success,
                CreatedAt = now,
            };
        }));

        var message = kind == FailureKind.ContactTimeout ? JobLog.ContactTimeoutExceeded : error;
        jobLog.Write(job, kind.EventKind(), message, "failed", kind.Level());
        if (kind == FailureKind.ContactTimeout)
        {
            jobLog.Write(job, "failed", error, "failed-detail", LogLevel.Error);
        }

        jobLog.Write(job, "stopped", JobLog.StoppedPolling, "stopped");
        await context.Publish(new ReplicationFailed { JobId = job.JobId, FailedAt = now, Error = error }, context.CancellationToken);
    }
}
