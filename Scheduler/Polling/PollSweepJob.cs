using global::Quartz;
using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Oma;
using Migration.Oma.Persistence;

namespace Migration.Scheduler.Polling;

/// <summary>
/// The one repeating sweep: every poll interval, claim the active jobs that are due and have no poll in flight
/// anywhere, and publish their polls (<see cref="PollMessages"/>: one <see cref="PollProgress"/> each, or per VMA in
/// <see cref="PollProgressBatch"/>es); then send the jobs no one has heard
/// from for the contact timeout their <c>ContactTimeout</c> (<see cref="ContactTimeoutSweep"/>).
/// </summary>
/// <remarks>
/// One trigger that selects due jobs scales to thousands of jobs; one trigger per job would mean thousands of fires
/// per second under the cluster lock. <see cref="DisallowConcurrentExecutionAttribute"/> holds in a cluster too: the
/// store blocks the trigger while a sweep runs anywhere. A failed sweep (database down, broker down) is logged and
/// the next tick simply tries again; the trigger is never lost.
/// </remarks>
[DisallowConcurrentExecution]
public sealed class PollSweepJob(
    IPollSweepStore store,
    IPublishEndpoint publishEndpoint,
    RecentPolls recentPolls,
    ContactTimeoutSweep contactTimeouts,
    KnownActiveJobs knownActiveJobs,
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
            await SweepAsync(context.ScheduledFireTimeUtc, cancellationToken);
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
    public Task<int> SweepAsync(CancellationToken cancellationToken) => SweepAsync(scheduledAt: null, cancellationToken);

    /// <summary>
    /// Runs one sweep for the trigger firing scheduled at <paramref name="scheduledAt"/> and returns how many polls it
    /// published.
    /// </summary>
    /// <remarks>
    /// Each poll carries the firing's scheduled time, not the moment the sweep happened to run: the saga sets the
    /// job's next poll one interval after it, which is exactly the next firing. Stamped with the actual time, a
    /// next firing that runs a few milliseconds less late than this one would find the job not yet due, and the
    /// job would be polled every other firing (every 4 s instead of 2 s).
    /// </remarks>
    public async Task<int> SweepAsync(DateTimeOffset? scheduledAt, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var requestedAt = scheduledAt is { } scheduled && scheduled <= now ? scheduled : now;

        // Belt and braces with the scheduled stamp above: a job due within the next half interval (an answer that
        // carried no stamp, a backoff that ends between ticks) is polled at this tick rather than a whole tick late.
        var horizon = now + (tracking.Value.PollInterval / 2);

        // The claim ends by itself just before the next sweep runs (the same tenth of jitter RecentPolls allows), so
        // a poll answered in time writes nothing to end it; a poll that outlives it extends it. From now, not from the
        // firing's stamp: a sweep that fell behind runs the next one right after it.
        var until = ClaimTime.Truncate(now + tracking.Value.PollClaimLease);
        var due = await store.ClaimDueAsync(horizon, now, until, tracking.Value.BehindHoldAt(now), tracking.Value.SweepBatchSize, cancellationToken);
        knownActiveJobs.Record(due, now);
        var admitted = recentPolls.Admit(due, now);
        try
        {
            await recentPolls.PublishAdmittedAsync(publishEndpoint, admitted, now, requestedAt, until, cancellationToken);
        }
        catch
        {
            await ReleaseAsync(due, until, now);
            throw;
        }

        // Claimed but asked within this interval already (an early sweep): no poll now, so no claim either.
        await ReleaseAsync(due.Except(admitted).ToList(), until, now);
        var published = admitted.Count;
        await contactTimeouts.SendAsync(store, publishEndpoint, now, cancellationToken);

        logger.LogDebug(
            "Poll sweep at {SweepAt}: {DueCount} due, {PublishedCount} published, {HeldBackCount} already polled this interval",
            now, due.Count, published, due.Count - published);
        return published;
    }

    private async Task ReleaseAsync(IReadOnlyList<DuePoll> polls, DateTimeOffset until, DateTimeOffset now)
    {
        foreach (var poll in polls)
        {
            try
            {
                await store.ReleaseAsync(poll.JobId, until, now, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The claim then ends by itself at its lease.
                logger.LogWarning(ex, "Could not release the poll claim of job {JobId}", poll.JobId);
            }
        }
    }
}
