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
    public Task UpsertDisksAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<DiskRow> disks, CancellationToken cancellationToken) =>
        UpsertDisksAsync(connection, transaction, disks, savepoint: null, cancellationToken);

    /// <summary>
    /// Upserts the disks under the savepoint <paramref name="savepoint"/>, taken first and released when they are written:
    /// when the write throws, the caller rolls back to it and the transaction goes on without them. On PostgreSQL the
    /// savepoint, the disks and the release travel in one round trip.
    /// </summary>
    public Task UpsertDisksInSavepointAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<DiskRow> disks, string savepoint, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(savepoint);
        if (!savepoint.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"'{savepoint}' is not a plain savepoint name", nameof(savepoint));
        }

        return UpsertDisksAsync(connection, transaction, disks, savepoint, cancellationToken);
    }

    private async Task UpsertDisksAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<DiskRow> disks, string? savepoint, CancellationToken cancellationToken)
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
            // One round trip for all of a job's disks (and the savepoint around them) instead of one per statement.
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            AddStatement(batch, savepoint is null ? null : $"SAVEPOINT {savepoint}");
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

            AddStatement(batch, savepoint is null ? null : $"RELEASE SAVEPOINT {savepoint}");
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            metrics.DisksUpserted(disks.Count);
            return;
        }

        if (savepoint is not null)
        {
            ArgumentNullException.ThrowIfNull(transaction);
            await transaction.SaveAsync(savepoint, cancellationToken).ConfigureAwait(false);
        }

        foreach (var disk in ordered)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                dialect.UpsertDisk, dialect.DiskParameters(disk), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        if (savepoint is not null)
        {
            await transaction.ReleaseAsync(savepoint, cancellationToken).ConfigureAwait(false);
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

    private static void AddStatement(DbBatch batch, string? text)
    {
        if (text is not null)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = text;
            batch.BatchCommands.Add(command);
        }
    }

    private static void AddParameter(DbBatchCommand command, string name, object? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
}
