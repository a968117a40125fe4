using Dapper;
using Migration.Oma.Persistence.Dialects;

namespace Migration.Oma.Persistence;

/// <summary>Dapper implementation of <see cref="IJobQueries"/>.</summary>
public sealed class JobQueries(DbConnectionFactory connections, SqlDialect dialect) : IJobQueries
{
    public async Task<IReadOnlyList<DuePoll>> GetDuePollsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var rows = await QueryAsync<DuePollRow>(dialect.DuePolls, new { Now = dialect.Time(now), Limit = limit }, cancellationToken).ConfigureAwait(false);
        return rows.Select(r => new DuePoll(r.JobId, r.VmaUrl)).ToArray();
    }

    public async Task<IReadOnlyList<ActiveJobRow>> GetActiveJobsAsync(CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<ActiveRow>(dialect.ActiveJobs, null, cancellationToken).ConfigureAwait(false);
        return rows.Select(r => new ActiveJobRow(r.Id, r.Status, r.CurrentOperation, r.ProgressPercent, r.UpdatedAt)).ToArray();
    }

    public async Task<IReadOnlyList<CbtHistoryRow>> GetRecentCbtHistoryAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return await QueryAsync<CbtHistoryRow>(dialect.RecentCbtHistory, new { Limit = limit }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<JobHealth> GetHealthAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<HealthRow>(dialect.Health, new { Since = dialect.Time(since) }, cancellationToken).ConfigureAwait(false);
        var row = rows.Count > 0 ? rows[0] : new HealthRow();
        return new JobHealth(row.TotalJobs, row.Completed, row.Failed);
    }

    public async Task<JobView?> GetJobAsync(string jobId, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync<JobView>(dialect.Job, dialect.JobKey(jobId), cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public Task<IReadOnlyList<JobView>> GetJobsAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return QueryAsync<JobView>(dialect.Jobs, new { Limit = limit }, cancellationToken);
    }

    public Task<IReadOnlyList<DiskRow>> GetDisksAsync(string jobId, CancellationToken cancellationToken) =>
        QueryAsync<DiskRow>(dialect.Disks, dialect.JobKey(jobId), cancellationToken);

    public Task<IReadOnlyList<CbtHistoryRow>> GetCbtHistoryAsync(string jobId, CancellationToken cancellationToken) =>
        QueryAsync<CbtHistoryRow>(dialect.CbtHistoryOfJob, dialect.JobKey(jobId), cancellationToken);

    public Task<IReadOnlyList<JobLogView>> GetJobLogAsync(string jobId, CancellationToken cancellationToken) =>
        QueryAsync<JobLogView>(dialect.JobLogOfJob, dialect.JobKey(jobId), cancellationToken);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }

    // Positional records bind by constructor, which needs exact column types; these rows convert per provider first.
    private sealed class DuePollRow
    {
        public string JobId { get; set; } = "";

        public string VmaUrl { get; set; } = "";
    }

    private sealed class ActiveRow
    {
        public string Id { get; set; } = "";

        public string Status { get; set; } = "";

        public string? CurrentOperation { get; set; }

        public decimal ProgressPercent { get; set; }

        public DateTimeOffset UpdatedAt { get; set; }
    }

    private sealed class HealthRow
    {
        public long TotalJobs { get; set; }

        public long Completed { get; set; }

        public long Failed { get; set; }
    }
}
