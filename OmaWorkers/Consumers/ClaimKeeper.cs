using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Oma;
using Migration.Oma.Persistence;

namespace Migration.OmaWorkers.Consumers;

/// <summary>
/// Runs one poll's HTTP call only while the sweep's claim on the job holds: the claim ends by itself just before the
/// next sweep, so a poll answered in time writes nothing; one picked up late, or still waiting when its claim nears
/// its end, extends the claim in the database by whole intervals (and the consumer ends it when the poll is done, so
/// the next sweep polls the job as usual), and one whose claim cannot be extended (another sweep claimed the job, the database is unreachable) is abandoned, so never two polls of a job
/// are in flight anywhere.
/// </summary>
public sealed partial class ClaimKeeper(IPollSweepStore claims, TimeProvider time, IOptions<TrackingOptions> options, ILogger<ClaimKeeper> logger)
{
    /// <summary>
    /// Runs <paramref name="call"/> under the claim of <paramref name="poll"/> (a poll without one, sent during a database
    /// outage, simply runs).
    /// </summary>
    public async Task<ClaimedCall<T>> RunAsync<T>(PollProgress poll, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(poll);
        ArgumentNullException.ThrowIfNull(call);
        if (poll.ClaimedUntil is not { } held)
        {
            return new ClaimedCall<T>(await call(cancellationToken), null, Extended: false);
        }

        var tracking = options.Value;
        var extended = false;
        if (held - time.GetUtcNow() < tracking.PollClaimGuard)
        {
            // Picked up late: the claim has (nearly) ended, and is ours only if no sweep claimed the job since.
            if (await ExtendAsync(poll.JobId, held) is not { } longer)
            {
                return new ClaimedCall<T>(null, null, Extended: false);
            }

            (held, extended) = (longer, true);
        }

        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = call(abandon.Token);
        while (true)
        {
            using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var wait = held - tracking.PollClaimGuard - time.GetUtcNow();
            var nearEnd = Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stopWaiting.Token);
            if (await Task.WhenAny(running, nearEnd) == running)
            {
                await stopWaiting.CancelAsync();
                return new ClaimedCall<T>(await running, held, extended);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (await ExtendAsync(poll.JobId, held) is not { } longer)
            {
                await abandon.CancelAsync();
                try
                {
                    await running;
                }
                catch (OperationCanceledException) when (abandon.IsCancellationRequested)
                {
                }

                LogAbandoned(logger, poll.JobId);
                return new ClaimedCall<T>(null, null, Extended: false);
            }

            (held, extended) = (longer, true);
        }
    }

    /// <summary>
    /// Moves the claim's end from <paramref name="held"/> by whole intervals to the first end that still lies a guard
    /// ahead; null when the claim is no longer ours.
    /// </summary>
    private async Task<DateTimeOffset?> ExtendAsync(string jobId, DateTimeOffset held)
    {
        var tracking = options.Value;
        var behind = time.GetUtcNow() + tracking.PollClaimGuard - held;
        var intervals = Math.Max(1, (long)Math.Ceiling(behind / tracking.PollInterval));
        var longer = ClaimTime.Truncate(held + (tracking.PollInterval * intervals));
        try
        {
            return await claims.ReleaseAsync(jobId, held, longer, CancellationToken.None) ? longer : null;
        }
        catch (Exception ex)
        {
            LogExtendFailed(logger, jobId, ex.Message);
            return null;
        }
    }

    [LoggerMessage(LogLevel.Debug, "Abandoned a poll of job {JobId}: its claim ended and another poll may have begun")]
    private static partial void LogAbandoned(ILogger logger, string jobId);

    [LoggerMessage(LogLevel.Warning, "Could not extend the poll claim of job {JobId} ({Error}): the poll is abandoned")]
    private static partial void LogExtendFailed(ILogger logger, string jobId, string error);
}

/// <summary>
/// What a poll's call gave under its claim: the result (null: abandoned, the claim was lost), the claim's end as held
/// at the end (null: none), and whether the poll extended it (then its end is the poll's to move back).
/// </summary>
public sealed record ClaimedCall<T>(T? Result, DateTimeOffset? HeldUntil, bool Extended)
    where T : class;
