using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.Contracts;
using Migration.OmaWorkers.Telemetry;
using Migration.OmaWorkers.Vma;

namespace Migration.OmaWorkers.Consumers;

/// <summary>Asks the VMA for one job's progress and reports what it saw; never writes job state itself.</summary>
public sealed partial class PollProgressConsumer(
    VmaClient vma,
    PollsInFlight inFlight,
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
            return; // a newer sweep has asked again: missed polls are skipped, not burst
        }

        using var lease = inFlight.TryBegin(poll.JobId);
        if (lease is null)
        {
            LogStillInFlight(logger, poll.JobId);
            return;
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
    }

    [LoggerMessage(LogLevel.Debug, "Dropped a poll of job {JobId}: the previous one is still waiting for the VMA")]
    private static partial void LogStillInFlight(ILogger logger, string jobId);

    [LoggerMessage(LogLevel.Debug, "Dropped a poll of job {JobId} that waited {Age} in the queue")]
    private static partial void LogStale(ILogger logger, string jobId, TimeSpan age);

    [LoggerMessage(LogLevel.Warning, "Poll of job {JobId} at {VmaUrl} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string jobId, string vmaUrl, string? error);
}
