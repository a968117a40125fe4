using MassTransit;
using Migration.Contracts;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>The VMA reported success: the job row, every disk and its change id, CBT history, the trail, <see cref="ReplicationCompleted"/>.</summary>
public sealed class CompleteJobActivity(JobLog jobLog, TimeProvider time) : SagaActivity<ProgressObserved>
{
    protected override async Task Run(ReplicationState job, ProgressObserved observed, ConsumeContext context)
    {
        var progress = observed.Progress;
        var now = time.GetUtcNow();
        var completedAt = progress.CompletedAt ?? now;
        job.ProgressPercent = 100m;
        job.TotalBytes = progress.Aggregate.TotalBytes;
        job.BytesTransferred = progress.Aggregate.BytesTransferred;
        job.CompletedAt = completedAt;
        job.NextPollAt = null;

        // Not a progress write: if these rows cannot be written the whole step is retried, so the job row is never
        // marked completed without its change ids.
        job.Unsaved.UpsertDisks(ProgressRows.Disks(job, progress, completed: true, now), mayFail: false);
        job.Unsaved.AddHistory(progress.Disks.Select(d => ProgressRows.SuccessfulHistory(job, d, progress, now)));
        jobLog.Write(job, "completed", JobLog.CompletedStopping, "completed");
        jobLog.Write(job, "stopped", JobLog.StoppedPolling, "stopped");
        await context.Publish(new ReplicationCompleted
        {
            JobId = job.JobId,
            CompletedAt = completedAt,
            SyncType = progress.Cbt.Type,
            BytesTransferred = job.BytesTransferred,
            ChangeIds = progress.Disks.Where(d => d.ChangeId is not null).ToDictionary(d => d.Id, d => d.ChangeId!),
        }, context.CancellationToken);
    }
}
