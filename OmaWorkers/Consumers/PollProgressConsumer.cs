using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.Oma.Persistence;
using Migration.Contracts;
using Migration.OmaWorkers.Telemetry;
using Migration.OmaWorkers.Vma;

namespace Migration.OmaWorkers.Consumers;

/// <summary>Asks the VMA for one job's progress and reports what it saw; never writes job state itself.</summary>
public sealed partial class PollProgressConsumer(
    VmaClient vma,
    PollsInFlight inFlight,
    IPollSweepStore claims,
    OmaMetrics metrics,
    TimeProvider time,
    IOptions<TrackingOptions> options,
    ILogger<PollProgressConsumer> logger) : IConsumer<PollProgress>
{
    public async Task Consume(ConsumeContext<PollProgress> context)
    {
        var answered = false;
        try
        {
            answered = await PollAsync(context);
        }
        finally
        {
            await ReleaseClaimAsync(context.Message, answered);
        }
    }

    /// <summary>Polls once; true when the VMA answered with a document the saga will apply.</summary>
    private async Task<bool> PollAsync(ConsumeContext<PollProgress> context)
    {
        var poll = context.Message;
        var age = time.GetUtcNow() - poll.RequestedAt;
        if (age > options.Value.PollStaleAfter)
        {
            LogStale(logger, poll.JobId, age);
            metrics.PollDroppedStale();
            return false; // a newer sweep has asked again: missed polls are skipped, not burst
        }

        using var lease = inFlight.TryBegin(poll.JobId);
        if (lease is null)
        {
            LogStillInFlight(logger, poll.JobId);
            return false;
        }

        var sent = time.GetTimestamp();
        var result = await vma.GetProgressAsync(poll.VmaUrl, poll.JobId, context.CancellationToken);
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
            return true;
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
        return false;
    }

    /// <summary>
    /// The poll is done: the sweep may claim the job again. After an answer at once (the saga sets the next poll one
    /// interval after the sweep asked, which is the next sweep anyway); after a failure a quarter interval from now,
    /// so that the saga has set the next poll later (the backoff) before the sweep can claim the job again.
    /// </summary>
    private async Task ReleaseClaimAsync(PollProgress poll, bool answered)
    {
        if (poll.ClaimedUntil is not { } until || !JobIdentity.IsValid(poll.JobId))
        {
            return;
        }

        try
        {
            var releasedAt = answered ? time.GetUtcNow() : time.GetUtcNow() + (options.Value.PollInterval / 4);
            await claims.ReleaseAsync(poll.JobId, until, releasedAt, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogReleaseFailed(logger, poll.JobId, ex.Message); // the claim ends by itself at its lease
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not release the poll claim of job {JobId} ({Error}): the next poll waits for the claim to expire")]
    private static partial void LogReleaseFailed(ILogger logger, string jobId, string error);

    [LoggerMessage(LogLevel.Debug, "Dropped a poll of job {JobId}: the previous one is still waiting for the VMA")]
    private static partial void LogStillInFlight(ILogger logger, string jobId);

    [LoggerMessage(LogLevel.Debug, "Dropped a poll of job {JobId} that waited {Age} in the queue")]
    private static partial void LogStale(ILogger logger, string jobId, TimeSpan age);

    [LoggerMessage(LogLevel.Warning, "Poll of job {JobId} at {VmaUrl} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string jobId, string vmaUrl, string? error);
}
