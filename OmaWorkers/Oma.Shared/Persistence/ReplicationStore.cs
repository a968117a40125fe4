using System.Data.Common;
using Dapper;
using Migration.Oma.Persistence.Dialects;
using Npgsql;

namespace Migration.Oma.Persistence;

/// <summary>Dapper implementation of <see cref="IReplicationStore"/>: one transaction per call, every write idempotent.</summary>
public sealed class ReplicationStore(DbConnectionFactory connections, SqlDialect dialect, PersistenceMetrics metrics) : IReplicationStore
{
    public async Task UpsertDisksAsync(IReadOnlyList<DiskRow> disks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(disks);
        if (disks.Count == 0)
        {
            return;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);

        // One order for every writer, so two transactions over the same disks never wait on each other in a cycle.
        var ordered = disks.OrderBy(d => d.JobId, StringComparer.Ordinal).ThenBy(d => d.DiskId, StringComparer.Ordinal).ToList();
        if (connection is NpgsqlConnection)
        {
            // The saga writes these rows with every job-row write: one round trip for all of a job's disks instead of
            // BEGIN, one per disk and COMMIT. PostgreSQL runs a batch as one implicit transaction (all or nothing).
            await using var batch = connection.CreateBatch();
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

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var disk in ordered)
        {
            var parameters = new
            {
                disk.JobId,
                disk.DiskId,
                disk.Label,
                disk.SyncStatus,
                disk.SyncProgressPercent,
                disk.BytesSynced,
                disk.PlannedBytes,
                disk.DiskChangeId,
                UpdatedAt = dialect.Time(disk.UpdatedAt),
            };
            await connection.ExecuteAsync(new CommandDefinition(
                dialect.UpsertDisk, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        metrics.DisksUpserted(disks.Count);
    }

    public async Task AddCbtHistoryAsync(IReadOnlyList<CbtHistoryRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var inserted = 0;
        foreach (var row in rows.OrderBy(r => r.JobId, StringComparer.Ordinal).ThenBy(r => r.DiskId, StringComparer.Ordinal))
        {
            var parameters = new
            {
                row.JobId,
                row.DiskId,
                row.ChangeId,
                row.PreviousChangeId,
                row.SyncType,
                row.BlocksChanged,
                row.BytesTransferred,
                row.SyncDurationSeconds,
                row.SyncSuccess,
                CreatedAt = dialect.Time(row.CreatedAt),
            };
            inserted += await connection.ExecuteAsync(new CommandDefinition(
                dialect.InsertCbtHistory, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        metrics.CbtHistoryInserted(inserted);
    }

    public async Task AppendJobLogAsync(JobLogEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var parameters = new
        {
            entry.JobId,
            CorrelationId = dialect.Uuid(entry.CorrelationId),
            At = dialect.Time(entry.At),
            entry.Level,
            entry.EventKind,
            entry.Message,
            entry.DedupeKey,
        };
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            dialect.AppendJobLog, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (inserted > 0)
        {
            metrics.JobLogAppended();
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> GetLastChangeIdsAsync(string vmName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vmName);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ChangeIdRow>(new CommandDefinition(
            dialect.LastChangeIds, new { VmName = vmName }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.ToDictionary(r => r.DiskId, r => r.DiskChangeId, StringComparer.Ordinal);
    }

    private sealed class ChangeIdRow
    {
        public string DiskId { get; set; } = "";

        public string DiskChangeId { get; set; } = "";
    }

    private static void AddParameter(DbBatchCommand command, string name, object? value)
    {
        var parameter = new NpgsqlParameter(name, value ?? DBNull.Value);
        command.Parameters.Add(parameter);
    }
}
