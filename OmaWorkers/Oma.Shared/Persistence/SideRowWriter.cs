using System.Data.Common;
using Dapper;
using Migration.Oma.Persistence.Dialects;
using Npgsql;

namespace Migration.Oma.Persistence;

/// <summary>
/// Writes the rows beside the job row (<c>vm_disks</c>, <c>cbt_history</c>, <c>job_log</c>) on a connection and
/// transaction the caller owns: the saga session's one transaction per step, or <see cref="ReplicationStore"/>'s own.
/// Every write is idempotent.
/// </summary>
public sealed class SideRowWriter(SqlDialect dialect, PersistenceMetrics metrics)
{
    public async Task UpsertDisksAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<DiskRow> disks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(disks);
        if (disks.Count == 0)
        {
            return;
        }

        // One order for every writer, so two transactions over the same disks never wait on each other in a cycle.
        var ordered = disks.OrderBy(d => d.JobId, StringComparer.Ordinal).ThenBy(d => d.DiskId, StringComparer.Ordinal).ToList();
        if (connection is NpgsqlConnection)
        {
            // One round trip for all of a job's disks instead of one per disk.
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var disk in ordered)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = dialect.UpsertDisk;
                AddParameter(command, "JobId", disk.JobId);
                AddParameter(command, "DiskId", disk.DiskId);
                AddParameter(command, "Label", disk.Label);
                AddParameter(command, "SyncStatus", disk.SyncStatus);
                AddParameter(command, "SyncProgressPercent", disk.SyncProgressPercent);
                AddParameter(command, "BytesSynced", disk.BytesSynced);
                AddParameter(command, "PlannedBytes", disk.PlannedBytes);
                AddParameter(command, "DiskChangeId", disk.DiskChangeId);
                AddParameter(command, "UpdatedAt", dialect.Time(disk.UpdatedAt));
                batch.BatchCommands.Add(command);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            metrics.DisksUpserted(disks.Count);
            return;
        }

        foreach (var disk in ordered)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                dialect.UpsertDisk, dialect.DiskParameters(disk), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        metrics.DisksUpserted(disks.Count);
    }

    public async Task AddCbtHistoryAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<CbtHistoryRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        var inserted = 0;
        foreach (var row in rows.OrderBy(r => r.JobId, StringComparer.Ordinal).ThenBy(r => r.DiskId, StringComparer.Ordinal))
        {
            inserted += await connection.ExecuteAsync(new CommandDefinition(
                dialect.InsertCbtHistory, dialect.CbtHistoryParameters(row), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        metrics.CbtHistoryInserted(inserted);
    }

    public async Task AppendJobLogAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<JobLogEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                dialect.AppendJobLog, dialect.JobLogParameters(entry), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (inserted > 0)
            {
                metrics.JobLogAppended();
            }
        }
    }

    private static void AddParameter(DbBatchCommand command, string name, object? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
}
