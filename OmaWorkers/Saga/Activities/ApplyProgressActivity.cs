using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Oma;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>
/// Applies one new observation to the job row under the seed's throttle: contact, progress, stage and milestone
/// entries, and (while the job runs) the disks' progress rows. A throttled observation changes nothing, so the
/// repository writes nothing. The machine only routes observations the job has not seen yet.
/// </summary>
public sealed class ApplyProgressActivity(JobLog jobLog, TimeProvider time, IOptions<TrackingOptions> options)
    : SagaActivity<ProgressObserved>
{
    private static readonly int[] Milestones = [25, 50, 75, 100];

    protected override async Task Run(ReplicationState job, ProgressObserved observed, ConsumeContext context)
    {
        var tracking = options.Value;
        var progress = observed.Progress;
        var stale = job.IsOlderThanApplied(observed);
        var now = time.GetUtcNow();
        var status = stale ? job.Status : StatusMapping.ToDbStatus(progress.Status);
        var operation = stale ? job.CurrentOperation : progress.Stage.ToString();
        var percent = stale ? job.ProgressPercent : Math.Max(job.ProgressPercent, ProgressRows.Percent(progress.Aggregate.Percent, status));

        var reasons = ProgressWritePolicy.Decide(
            new ProgressPoint(job.Status, job.CurrentOperation, job.ProgressPercent), job.UpdatedAt, new ProgressPoint(status, operation, percent), now, tracking);
        if (job.ConsecutivePollFailures > 0)
        {
            reasons |= WriteReasons.PollingRecovered;
        }

        if (reasons == WriteReasons.None)
        {
            return;
        }

        var previousOperation = job.CurrentOperation;
        var previousPercent = job.ProgressPercent;
        job.LastContactAt = observed.ObservedAt;
        job.ConsecutivePollFailures = 0;
        // From when the sweep asked, not from when the answer came: the sweep runs every interval, and a next poll
        // due a few milliseconds after its next run would wait for the run after that (a 4 s cadence, not 2 s).
        job.NextPollAt = (observed.RequestedAt ?? observed.ObservedAt) + tracking.PollInterval;
        job.UpdatedAt = now;
        if (stale)
        {
            return;
        }

        job.LastVmaUpdateAt = progress.UpdatedAt;
        job.CurrentOperation = operation;
        job.ProgressPercent = percent;
        job.TotalBytes = progress.Aggregate.TotalBytes;
        job.BytesTransferred = Math.Max(job.BytesTransferred, progress.Aggregate.BytesTransferred);
        job.TransferSpeedBps = progress.Aggregate.ThroughputBps;
        job.EtaSeconds = progress.Aggregate.EtaSeconds is { } eta ? (int)Math.Ceiling(Math.Min(eta, int.MaxValue)) : null;
        job.StartedAt ??= progress.StartedAt;
        if (progress.Stage > ReplicationStage.QueryCBT || StatusMapping.IsTerminal(progress.Status))
        {
            job.SyncType = progress.Cbt.Type;
        }

        if (previousOperation != operation && Enum.TryParse<ReplicationStage>(operation, out var reached))
        {
            // Stages run in a fixed order; one that began and ended between two polls is recorded as passed, so
            // the trail always names all nine.
            var from = Enum.TryParse<ReplicationStage>(previousOperation, out var was) ? was + 1 : ReplicationStage.Discover;
            for (var stage = from; stage <= reached; stage++)
            {
                var message = stage == reached ? $"Stage {stage} (status {status})" : $"Stage {stage} (passed between polls)";
                jobLog.Write(job, "stage", message, $"stage-{stage}");
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

        if (previousOperation != operation || StatusMapping.IsTerminal(progress.Status))
        {
            // The VMA's notes (CBT enabled, fallbacks to a full sync, orphaned snapshots removed) come at stage changes
            // and are all in the final document; the dedupe key writes each one once.
            foreach (var note in progress.Notes ?? [])
            {
                jobLog.Write(job, $"vma-{note.Kind}", note.Message, $"vma-note-{note.Sequence.ToString(CultureInfo.InvariantCulture)}",
                    note.Level == "Warning" ? LogLevel.Warning : LogLevel.Information);
            }
        }

        foreach (var milestone in Milestones.Where(m => previousPercent < m && percent >= m))
        {
            jobLog.Write(job, "milestone", $"Progress reached {milestone.ToString(CultureInfo.InvariantCulture)}%", $"milestone-{milestone}");
        }

        if (!StatusMapping.IsTerminal(progress.Status) && progress.Disks.Count > 0)
        {
            // The seed: "disk update failures don't affect job-level updates". Only the disks whose figures moved.
            var disks = ProgressRows.Disks(job, progress, completed: false, now);
            var changed = DiskDigest.Changed(disks, job.DiskDigest);
            if (changed.Count > 0)
            {
                job.Unsaved.UpsertChangedDisks(changed, job.DiskDigest);
                job.DiskDigest = DiskDigest.Of(disks);
            }
        }
    }
}
