using global::Quartz;
using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.OmaWorkers;
using Migration.OmaWorkers.Persistence;

namespace Migration.Scheduler.Polling;

/// <summary>
/// The one repeating sweep: every poll interval, read the active jobs that are due and publish one
/// <see cref="PollProgress"/> for each, in one batch.
/// </summary>
/// <remarks>
/// One trigger that selects due jobs scales to thousands of jobs; one trigger per job would mean thousands of fires
/// per second under the cluster lock. <see cref="DisallowConcurrentExecutionAttribute"/> holds in a cluster too: the
/// store blocks the trigger while a sweep runs anywhere. A failed sweep (database down, broker down) is logged and
/// the next tick simply tries again; the trigger is never lost.
/// </remarks>
[DisallowConcurrentExecution]
public sealed class PollSweepJob(
    IJobQueries queries,
    IPublishEndpoint publishEndpoint,
    RecentPolls recentPolls,
    TimeProvider timeProvider,
    IOptions<TrackingOptions> tracking,
    ILogger<PollSweepJob> logger) : IJob
{
    public static readonly JobKey Key = new("poll-sweep", "migration");

    public static readonly TriggerKey TriggerKey = new("poll-sweep", "migration");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await SweepAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug("Poll sweep interrupted by shutdown");
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Poll sweep failed; the next sweep retries");
        }
    }

    /// <summary>Runs one sweep and returns how many polls it published.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();

        // A job is due at its last answer + the interval, which always falls just after a sweep tick (the answer came
        // after the sweep that asked): taking only what is due by now would poll it a tick late, every 4 s instead of
        // every 2. Polling what falls due within the next half interval rounds each job to its nearest tick.
        var horizon = now + (tracking.Value.PollInterval / 2);
        var due = await queries.GetDuePollsAsync(horizon, tracking.Value.SweepBatchSize, cancellationToken);
        var admitted = recentPolls.Admit(due, poll => poll.JobId, now);

        if (admitted.Count > 0)
        {
            var polls = admitted.Select(poll => new PollProgress { JobId = poll.JobId, VmaUrl = poll.VmaUrl, RequestedAt = now });
            await publishEndpoint.PublishBatch(polls, cancellationToken);
            recentPolls.Record(admitted.Select(poll => poll.JobId), now);
        }

        logger.LogDebug(
            "Poll sweep at {SweepAt}: {DueCount} due, {PublishedCount} published, {HeldBackCount} already polled this interval",
            now, due.Count, admitted.Count, due.Count - admitted.Count);
        return admitted.Count;
    }
}
