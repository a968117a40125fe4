namespace Migration.Oma.Persistence;

/// <summary>
/// What the poll sweep asks of the database beyond reading: claiming due jobs so that at most one poll per job is in
/// flight in the whole cluster, moving a claim's end (a poll that outlives it, a failed poll), and finding jobs no one
/// has heard from.
/// </summary>
/// <remarks>
/// A claim is scheduling bookkeeping in <c>replication_jobs.poll_claimed_until</c>, not job state: the saga never
/// reads or writes that column, and stays the only writer of everything else.
/// </remarks>
public interface IPollSweepStore
{
    /// <summary>
    /// Claims up to <paramref name="limit"/> live jobs due by <paramref name="dueBy"/> that have no poll in flight at
    /// <paramref name="now"/> and that <paramref name="hold"/> does not hold back, until <paramref name="until"/>, and
    /// returns them.
    /// </summary>
    Task<IReadOnlyList<DuePoll>> ClaimDueAsync(
        DateTimeOffset dueBy, DateTimeOffset now, DateTimeOffset until, BehindHold hold, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the end of the claim <paramref name="until"/> of a job to <paramref name="releasedAt"/> (earlier: a
    /// release, from then on the sweep may claim it again; later: the poll keeps it longer). False when the job's claim
    /// is not that one (the sweep claimed it again after it ended): a newer claim stays.
    /// </summary>
    Task<bool> ReleaseAsync(string jobId, DateTimeOffset until, DateTimeOffset releasedAt, CancellationToken cancellationToken);

    /// <summary>Live jobs whose last successful contact (or, without one, creation) is at or before <paramref name="cutoff"/>.</summary>
    Task<IReadOnlyList<string>> GetOverdueAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken);
}
