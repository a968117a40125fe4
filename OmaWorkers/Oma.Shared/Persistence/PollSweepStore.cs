using Dapper;
using Migration.Oma.Persistence.Dialects;

namespace Migration.Oma.Persistence;

/// <summary>Dapper implementation of <see cref="IPollSweepStore"/>.</summary>
public sealed class PollSweepStore(DbConnectionFactory connections, SqlDialect dialect) : IPollSweepStore
{
    public async Task<IReadOnlyList<DuePoll>> ClaimDueAsync(
        DateTimeOffset dueBy, DateTimeOffset now, DateTimeOffset until, BehindHold hold, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<DuePollRow>(new CommandDefinition(
            dialect.ClaimDuePolls,
            new
            {
                DueBy = dialect.Time(dueBy),
                Now = dialect.Time(now),
                Until = dialect.Time(until),
                BehindDueBy = dialect.Time(hold.DueBy),
                LastClaimEndedBy = dialect.Time(hold.LastClaimEndedBy),
                Limit = limit,
            },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new DuePoll(r.JobId, r.VmaUrl)).ToArray();
    }

    public async Task<bool> ReleaseAsync(string jobId, DateTimeOffset until, DateTimeOffset releasedAt, CancellationToken cancellationToken)
    {
        var parameters = dialect.JobKey(jobId);
        parameters.Add("Until", dialect.Time(until));
        parameters.Add("ReleasedAt", dialect.Time(releasedAt));
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var moved = await connection.ExecuteAsync(new CommandDefinition(dialect.ReleasePollClaim, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return moved == 1;
    }

    public async Task<IReadOnlyList<string>> GetOverdueAsync(DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            dialect.OverdueJobs, new { Cutoff = dialect.Time(cutoff), Limit = limit }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    private sealed class DuePollRow
    {
        public string JobId { get; set; } = "";

        public string VmaUrl { get; set; } = "";
    }
}
