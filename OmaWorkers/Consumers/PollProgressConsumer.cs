using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.Oma.Persistence;
using Migration.Contracts;
using Migration.OmaWorkers.Telemetry;
using Migration.OmaWorkers.Vma;

namespace Migration.OmaWorkers.Consumers;

/// <summary>
/// Asks the VMA for one job's progress, under the sweep's claim on the job (<see cref="ClaimKeeper"/>), and reports
/// what it saw; never writes job state itself. An answer in time writes nothing to the database here: the claim ends
/// by itself before the next sweep.
/// </summary>
public sealed partial class PollProgressConsumer(
    VmaClient vma,
    PollsInFlight inFlight,
    ClaimKeeper claimKeeper,
    IPollSweepStore claims,
    OmaMetrics metrics,
    TimeProvider time,
    IOptions<TrackingOptions> options,
    ILogger<PollProgressConsumer> logger) : IConsumer<PollProgress>
{
    public async Task Consume(ConsumeContext<PollProgress> context)
    {
        var poll = context.Message;
        var age = time.GetUtcNow() - poll.RequestedAt;
        if (age > options.Value.PollStaleAfter)
        {
            LogStale(logger, poll.JobId, age);
            metrics.PollDroppedStale();
            return; // a newer sweep has asked again: missed polls are skipped, not burst; the claim ends by itself
        }

        using var lease = inFlight.TryBegin(poll.JobId);
        if (lease is null)
        {
            LogStillInFlight(logger, poll.JobId);
            return;
        }

        var sent = time.GetTimestamp();
        var claimed = await claimKeeper.RunAsync(poll, token => vma.GetProgressAsync(poll.VmaUrl, poll.JobId, token), context.CancellationToken);
        if (claimed.Result is not { } result)
        {
            return; // abandoned: another poll of the job may be running, and reports what it sees
        }

        var roundTrip = time.GetElapsedTime(sent);
        if (result.Progress is { } progress)
        {
            metrics.PollSucceeded(poll.VmaUrl, roundTrip);
            await context.Publish(new ProgressObserved
            {
                JobId = poll.JobId,
                Progress = progress,
                ObservedAt = time.GetUtcNow(),
                RequestedAt = poll.RequestedAt,
            });
            if (claimed.Extended)
            {
                await MoveClaimAsync(poll.JobId, claimed.HeldUntil, time.GetUtcNow()); // the next sweep polls it as usual
            }

            return;
        }

        metrics.PollFailed(poll.VmaUrl, roundTrip, result.FailureReason ?? PollFailureReason.Unreachable);
        LogFailed(logger, poll.JobId, poll.VmaUrl, result.Error);
        await context.Publish(new ProgressPollFailed
        {
            JobId = poll.JobId,
            FailedAt = time.GetUtcNow(),
            RequestedAt = poll.RequestedAt,
            Reason = result.Error ?? "unknown error",
            HttpStatus = result.HttpStatus,
            JobUnknownToVma = result.JobUnknown,
        });

        // A quarter interval from now, so that the saga has set the next poll later (the backoff) before the sweep
        // can claim the job again.
        await MoveClaimAsync(poll.JobId, claimed.HeldUntil, time.GetUtcNow() + (options.Value.PollInterval / 4));
    }

    /// <summary>Moves the end of the claim the poll holds (a newer claim stays).</summary>
    private async Task MoveClaimAsync(string jobId, DateTimeOffset? held, DateTimeOffset end)
    {
        if (held is not { } until || !JobIdentity.IsValid(jobId))
        {
            return;
        }

        try
        {
            await claims.ReleaseAsync(jobId, until, ClaimTime.Truncate(end), CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(logger, jobId, ex.Message); // the claim ends by itself
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
