using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Oma;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>A poll that got no answer: one more consecutive failure, the next poll later (backoff), the trail.</summary>
public sealed class RecordPollFailureActivity(JobLog jobLog, TimeProvider time, IOptions<TrackingOptions> options)
    : SagaActivity<ProgressPollFailed>
{
    protected override Task Run(ReplicationState job, ProgressPollFailed failed, ConsumeContext context)
    {
        var tracking = options.Value;
        job.ConsecutivePollFailures++;
        job.LastPollFailedAt = failed.FailedAt;

        // Before the backoff, the next poll keeps the sweep's cadence (from when it asked). In backoff, the wait counts
        // from the failure: a VMA that holds each request open until the HTTP timeout would otherwise be asked again
        // the moment its poll timed out, and backoff would never slow anything down.
        var from = job.ConsecutivePollFailures >= tracking.FailuresBeforeBackoff ? failed.FailedAt : failed.RequestedAt ?? failed.FailedAt;
        job.NextPollAt = from + tracking.NextPollDelay(job.ConsecutivePollFailures);
        job.UpdatedAt = time.GetUtcNow();

        // One row per distinct reason (a redelivered failure included); the backoff entry per failed poll that reached it.
        var poll = failed.FailedAt.UtcTicks.ToString(CultureInfo.InvariantCulture);
        jobLog.Write(job, "poll-failed",
            $"Poll {job.ConsecutivePollFailures.ToString(CultureInfo.InvariantCulture)} in a row failed: {failed.Reason}",
            PollFailureLogKey.For(failed.Reason), LogLevel.Warning);
        if (job.ConsecutivePollFailures == tracking.FailuresBeforeBackoff)
        {
            jobLog.Write(job, "backoff",
                $"{tracking.FailuresBeforeBackoff.ToString(CultureInfo.InvariantCulture)} consecutive poll failures: polling less often (up to every {tracking.MaxPollInterval})",
                $"backoff-{poll}", LogLevel.Warning);
        }

        return Task.CompletedTask;
    }
}
