using Dapper;
using Migration.Oma.Persistence.Dialects;

namespace Migration.Oma.Persistence;

/// <summary>Dapper implementation of <see cref="IJobPageQueries"/>.</summary>
public sealed class JobPageQueries(DbConnectionFactory connections, SqlDialect dialect) : IJobPageQueries
{
    public async Task<IReadOnlyList<JobView>> GetJobsPageAsync(string? status, int limit, int offset, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var parameters = new DynamicParameters();
        parameters.Add("Limit", limit);
        parameters.Add("Offset", offset);
        if (status is not null)
        {
            SqlDialect.AddText(parameters, "Status", dialect.Ansi(status, 50));
        }

        return await QueryAsync<JobView>(status is null ? dialect.JobsPage : dialect.JobsPageByStatus, parameters, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<CbtHistoryRow>> GetVmCbtHistoryAsync(string vmName, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var parameters = dialect.VmKey(vmName);
        parameters.Add("Limit", limit);
        return await QueryAsync<CbtHistoryRow>(dialect.VmCbtHistory, parameters, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.AsList();
    }
}
