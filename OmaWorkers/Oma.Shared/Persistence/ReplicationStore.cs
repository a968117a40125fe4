using System.Data.Common;
using Dapper;
using Migration.Oma.Persistence.Dialects;

namespace Migration.Oma.Persistence;

/// <summary>Dapper implementation of <see cref="IReplicationStore"/>: one transaction per call, every write idempotent (the saga writes its rows through its session instead).</summary>
public sealed class ReplicationStore(DbConnectionFactory connections, SqlDialect dialect, SideRowWriter writer) : IReplicationStore
{
    public async Task UpsertDisksAsync(IReadOnlyList<DiskRow> disks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(disks);
        if (disks.Count > 0)
        {
            await InTransactionAsync((c, t) => writer.UpsertDisksAsync(c, t, disks, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task AddCbtHistoryAsync(IReadOnlyList<CbtHistoryRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count > 0)
        {
            await InTransactionAsync((c, t) => writer.AddCbtHistoryAsync(c, t, rows, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    public Task AppendJobLogAsync(JobLogEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return InTransactionAsync((c, t) => writer.AppendJobLogAsync(c, t, [entry], cancellationToken), cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetLastChangeIdsAsync(string vmName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vmName);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ChangeIdRow>(new CommandDefinition(
            dialect.LastChangeIds, dialect.VmKey(vmName), cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.ToDictionary(r => r.DiskId, r => r.DiskChangeId, StringComparer.Ordinal);
    }

    private sealed class ChangeIdRow
    {
        public string DiskId { get; set; } = "";

        public string DiskChangeId { get; set; } = "";
    }

    private async Task InTransactionAsync(Func<DbConnection, DbTransaction, Task> write, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await write(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
