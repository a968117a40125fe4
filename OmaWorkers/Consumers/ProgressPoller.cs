using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Oma;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.Telemetry;
using Migration.OmaWorkers.Vma;

namespace Migration.OmaWorkers.Consumers;

/// <summary>
/// One poll, of one job or of a batch of one VMA's jobs: drops it when it waited too long, skips the jobs already being
/// polled here (<see cref="PollsInFlight"/>), asks the VMA (<see cref="ProgressFetcher"/>) under the sweep's claim
/// (<see cref="ClaimKeeper"/>), and reports each job's answer as its own <see cref="ProgressObserved"/> or
/// <see cref="ProgressPollFailed"/>; never writes job state itself. An answer in time writes nothing to the database
/// here: the claim ends by itself before the next sweep.
/// </summary>
public sealed partial class ProgressPoller(
    ProgressFetcher fetcher,
    PollsInFlight inFlight,
    ClaimKeeper claimKeeper,
    IPollSweepStore claims,
    OmaMetrics metrics,
    TimeProvider time,
    IOptions<TrackingOptions> options,
    ILogger<ProgressPoller> logger)
{
    private static readonly VmaProgressResult NoAnswer =
        VmaProgressResult.Failed(null, "the poll got no answer for this job", PollFailureReason.InvalidDocument);

    public async Task PollAsync(PollRequest poll, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poll);
        ArgumentNullException.ThrowIfNull(publish);
        var age = time.GetUtcNow() - poll.RequestedAt;
        if (age > options.Value.PollStaleAfter)
        {
            foreach (var jobId in poll.JobIds)
            {
                LogStale(logger, jobId, age);
                metrics.PollDroppedStale();
            }

            return; // a newer sweep has asked again: missed polls are skipped, not burst; the claims end by themselves
        }

        var leases = new List<IDisposable>(poll.JobIds.Count);
        var jobIds = new List<string>(poll.JobIds.Count);
        try
        {
            foreach (var jobId in poll.JobIds)
            {
                if (inFlight.TryBegin(jobId) is { } lease)
                {
                    leases.Add(lease);
                    jobIds.Add(jobId);
                }
                else
                {
                    LogStillInFlight(logger, jobId);
                }
            }

            if (jobIds.Count > 0)
            {
                await PollClaimedAsync(poll, jobIds, publish, cancellationToken);
            }
        }
        finally
        {
            leases.ForEach(lease => lease.Dispose());
        }
    }

    private async Task PollClaimedAsync(PollRequest poll, IReadOnlyList<string> jobIds, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var sent = time.GetTimestamp();
        var claimed = await claimKeeper.RunAsync(
            jobIds, poll.ClaimedUntil, token => fetcher.FetchAsync(poll.VmaUrl, jobIds, token), cancellationToken);
        if (claimed.Result is not { } results)
        {
            return; // abandoned: other polls of the jobs may be running, and report what they see
        }

        var roundTrip = time.GetElapsedTime(sent);
        var observed = new List<ProgressObserved>();
        var failed = new List<ProgressPollFailed>();
        foreach (var jobId in jobIds.Where(claimed.Owned.Contains))
        {
            var result = results.TryGetValue(jobId, out var answered) ? answered : NoAnswer;
            if (result.Progress is { } progress)
            {
                metrics.PollSucceeded(poll.VmaUrl, roundTrip);
                observed.Add(new ProgressObserved { JobId = jobId, Progress = progress, ObservedAt = time.GetUtcNow(), RequestedAt = poll.RequestedAt });
                continue;
            }

            metrics.PollFailed(poll.VmaUrl, roundTrip, result.FailureReason ?? PollFailureReason.Unreachable);
            LogFailed(logger, jobId, poll.VmaUrl, result.Error);
            failed.Add(new ProgressPollFailed
            {
                JobId = jobId,
                FailedAt = time.GetUtcNow(),
                RequestedAt = poll.RequestedAt,
                Reason = result.Error ?? "unknown error",
                HttpStatus = result.HttpStatus,
                JobUnknownToVma = result.JobUnknown,
            });
        }

        await publish.PublishBatch(observed, cancellationToken);
        await publish.PublishBatch(failed, cancellationToken);
        if (claimed.Extended)
        {
            // The next sweep polls them as usual.
            await MoveClaimsAsync(observed.Select(o => o.JobId), claimed.HeldUntil, time.GetUtcNow());
        }

        // A quarter interval from now, so that the saga has set the next poll later (the backoff) before the sweep can
        // claim the job again.
        await MoveClaimsAsync(failed.Select(f => f.JobId), claimed.HeldUntil, time.GetUtcNow() + (options.Value.PollInterval / 4));
    }

    /// <summary>Moves the end of the claim the poll holds on each job (a newer claim stays).</summary>
    private async Task MoveClaimsAsync(IEnumerable<string> jobIds, DateTimeOffset? held, DateTimeOffset end)
    {
        if (held is not { } until)
        {
            return;
        }

        foreach (var jobId in jobIds.Where(JobIdentity.IsValid))
        {
            try
            {
                await claims.ReleaseAsync(jobId, until, ClaimTime.Truncate(end), CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogReleaseFailed(logger, jobId, ex.Message); // the claim ends by itself
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not move the poll claim of job {JobId} ({Error}): the next poll waits for the claim to end")]
    private static partial void LogReleaseFailed(ILogger logger, string jobId, string error);

    [LoggerMessage(LogLevel.Debug, "Dropped a poll of job {JobId}: the previous one is still waiting for the VMA")]
    private static partial void LogStillInFlight(ILogger logger, string jobId);

    [LoggerMessage(LogLevel.Debug, "Dropped a poll of job {JobId} that waited {Age} in the queue")]
    private static partial void LogStale(ILogger logger, string jobId, TimeSpan age);

    [LoggerMessage(LogLevel.Warning, "Poll of job {JobId} at {VmaUrl} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string jobId, string vmaUrl, string? error);
}
