using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.Oma.Persistence;

namespace Migration.OmaWorkers.Consumers;

/// <summary>
/// Runs one poll's HTTP call (of one job, or of a batch of one VMA's jobs) only while the sweep's claim on its jobs
/// holds: the claim ends by itself just before the next sweep, so a poll answered in time writes nothing; one picked up
/// late, or still waiting when its claim nears its end, extends each job's claim in the database by whole intervals
/// (and the poller ends it when the poll is done, so the next sweep polls the jobs as usual). A job whose claim cannot
/// be extended (another sweep claimed it, the database is unreachable) drops out of the poll, and the call is
/// abandoned once no job is left, so never two polls of a job are in flight anywhere.
/// </summary>
public sealed partial class ClaimKeeper(IPollSweepStore claims, TimeProvider time, IOptions<TrackingOptions> options, ILogger<ClaimKeeper> logger)
{
    /// <summary>
    /// Runs <paramref name="call"/> under the claim <paramref name="claimedUntil"/> of <paramref name="jobIds"/> (a poll
    /// without one, sent during a database outage, simply runs).
    /// </summary>
    public async Task<ClaimedCall<T>> RunAsync<T>(
        IReadOnlyCollection<string> jobIds, DateTimeOffset? claimedUntil, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        ArgumentNullException.ThrowIfNull(call);
        var owned = new HashSet<string>(jobIds, StringComparer.Ordinal);
        if (claimedUntil is not { } held)
        {
            return new ClaimedCall<T>(await call(cancellationToken), null, Extended: false, owned);
        }

        var tracking = options.Value;
        var extended = false;
        if (held - time.GetUtcNow() < tracking.PollClaimGuard)
        {
            // Picked up late: the claims have (nearly) ended, and are ours only where no sweep claimed a job since.
            held = await ExtendAsync(owned, held);
            if (owned.Count == 0)
            {
                return ClaimedCall<T>.Abandoned;
            }

            extended = true;
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
                return new ClaimedCall<T>(await running, held, extended, owned);
            }

            cancellationToken.ThrowIfCancellationRequested();
            held = await ExtendAsync(owned, held);
            if (owned.Count == 0)
            {
                await abandon.CancelAsync();
                try
                {
                    await running;
                }
                catch (OperationCanceledException) when (abandon.IsCancellationRequested)
                {
                }

                LogAbandoned(logger, jobIds.Count);
                return ClaimedCall<T>.Abandoned;
            }

            extended = true;
        }
    }

    /// <summary>
    /// Moves each owned job's claim end from <paramref name="held"/> by whole intervals to the first end that still lies
    /// a guard ahead, and returns it; a job whose claim is no longer ours leaves <paramref name="owned"/>.
    /// </summary>
    private async Task<DateTimeOffset> ExtendAsync(HashSet<string> owned, DateTimeOffset held)
    {
        var tracking = options.Value;
        var behind = time.GetUtcNow() + tracking.PollClaimGuard - held;
        var intervals = Math.Max(1, (long)Math.Ceiling(behind / tracking.PollInterval));
        var longer = ClaimTime.Truncate(held + (tracking.PollInterval * intervals));
        foreach (var jobId in owned.ToList())
        {
            try
            {
                if (!await claims.ReleaseAsync(jobId, held, longer, CancellationToken.None))
                {
                    owned.Remove(jobId);
                    LogClaimLost(logger, jobId);
                }
            }
            catch (Exception ex)
            {
                owned.Remove(jobId);
                LogExtendFailed(logger, jobId, ex.Message);
            }
        }

        return longer;
    }

    [LoggerMessage(LogLevel.Debug, "Abandoned a poll of {JobCount} job(s): their claims ended and other polls may have begun")]
    private static partial void LogAbandoned(ILogger logger, int jobCount);

    [LoggerMessage(LogLevel.Debug, "Job {JobId} left its poll: its claim ended and another poll may have begun")]
    private static partial void LogClaimLost(ILogger logger, string jobId);

    [LoggerMessage(LogLevel.Warning, "Could not extend the poll claim of job {JobId} ({Error}): the job's poll is abandoned")]
    private static partial void LogExtendFailed(ILogger logger, string jobId, string error);
}

/// <summary>
/// What a poll's call gave under its claim: the result (null: abandoned, every job's claim was lost), the claim's end
/// as held at the end (null: none), whether the poll extended it (then its end is the poll's to move back), and the
/// jobs whose claims are still the poll's (only their answers may be reported).
/// </summary>
public sealed record ClaimedCall<T>(T? Result, DateTimeOffset? HeldUntil, bool Extended, IReadOnlySet<string> Owned)
    where T : class
{
    public static ClaimedCall<T> Abandoned { get; } = new(null, null, Extended: false, new HashSet<string>());
}
