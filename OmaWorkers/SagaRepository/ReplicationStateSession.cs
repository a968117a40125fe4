using System.Data.Common;
using Dapper;
using MassTransit;
using Migration.Oma.Persistence;
using Migration.Oma.Persistence.Dialects;
using Migration.OmaWorkers.Saga;

namespace Migration.OmaWorkers.SagaRepository;

/// <summary>
/// The database side of one saga message, on one connection: loads the instance (remembering what it looked like),
/// and at save time writes, in one transaction, the job row (one statement that refuses a stale version) and then
/// the rows the step added beside it (<see cref="ReplicationState.Unsaved"/>).
/// </summary>
/// <remarks>
/// Nothing is written while the saga's behaviour runs, so a behaviour that throws leaves no trace; a step that changed
/// nothing and added no row issues no write. On PostgreSQL and SQL Server the load already runs in the transaction
/// that writes (it takes no lock: a read-committed SELECT), so a step costs one commit, and a step that writes
/// nothing ends in a rollback. Concurrent writers of one job are told apart by the version column alone, which is
/// what protects several worker replicas.
/// </remarks>
public sealed partial class ReplicationStateSession : IAsyncDisposable
{
    private const string DiskSavepoint = "vm_disks";

    private readonly DbConnectionFactory connections;
    private readonly SqlDialect dialect;
    private readonly ReplicationStateStatements statements;
    private readonly SideRowWriter rows;
    private readonly PersistenceMetrics metrics;
    private readonly ILogger logger;
    private readonly Dictionary<ReplicationState, object?[]> snapshots = new(ReferenceEqualityComparer.Instance);
    private DbConnection? connection;
    private DbTransaction? transaction;

    internal ReplicationStateSession(
        DbConnectionFactory connections,
        SqlDialect dialect,
        ReplicationStateStatements statements,
        SideRowWriter rows,
        PersistenceMetrics metrics,
        ILogger logger)
    {
        this.connections = connections;
        this.dialect = dialect;
        this.statements = statements;
        this.rows = rows;
        this.metrics = metrics;
        this.logger = logger;
    }

    /// <summary>The instance of <paramref name="correlationId"/>, or null when the job has no row yet.</summary>
    public async Task<ReplicationState?> LoadAsync(Guid correlationId, CancellationToken cancellationToken)
    {
        var db = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var instance = await db.QuerySingleOrDefaultAsync<ReplicationState>(new CommandDefinition(
            statements.Load, new { CorrelationId = dialect.Uuid(correlationId) }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (instance is not null)
        {
            snapshots[instance] = ReplicationStateColumns.Capture(instance);
        }

        return instance;
    }

    /// <summary>Every instance the predicate accepts (MassTransit's query correlation; this saga correlates by id).</summary>
    public async Task<IReadOnlyList<ReplicationState>> QueryAsync(Func<ReplicationState, bool> predicate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var db = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var all = await db.QueryAsync<ReplicationState>(new CommandDefinition(statements.SelectAll, transaction: transaction, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        var matches = all.Where(predicate).ToArray();
        foreach (var instance in matches)
        {
            snapshots[instance] = ReplicationStateColumns.Capture(instance);
        }

        return matches;
    }

    /// <summary>Inserts a new instance and its rows; false (and nothing written) when the job's row already exists.</summary>
    public async Task<bool> TryInsertAsync(ReplicationState instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var inserted = await SaveAsync(instance, insert: true, cancellationToken).ConfigureAwait(false);
        if (inserted)
        {
            metrics.JobInserted();
        }

        return inserted;
    }

    /// <summary>Inserts a new instance; <see cref="ConcurrencyException"/> when another writer inserted the job first.</summary>
    public async Task InsertAsync(ReplicationState instance, CancellationToken cancellationToken)
    {
        if (!await TryInsertAsync(instance, cancellationToken).ConfigureAwait(false))
        {
            metrics.ConcurrencyConflict();
            throw new ConcurrencyException(
                $"replication job '{instance.JobId}' was inserted by another writer", typeof(ReplicationState), instance.CorrelationId);
        }
    }

    /// <summary>
    /// Writes a changed instance back (version + 1) with the rows its step added and returns true; returns false
    /// without any statement when nothing changed since it was loaded and no row was added.
    /// <see cref="ConcurrencyException"/> (and nothing written) when the row's version moved meanwhile.
    /// </summary>
    public Task<bool> UpdateAsync(ReplicationState instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return SaveAsync(instance, insert: false, cancellationToken);
    }

    /// <summary>Drops what the session remembers of an instance (its changes are not to be written).</summary>
    public void Forget(ReplicationState instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        snapshots.Remove(instance);
        instance.Unsaved.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await EndTransactionAsync().ConfigureAwait(false);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            connection = null;
        }
    }

    private async Task<bool> SaveAsync(ReplicationState instance, bool insert, CancellationToken cancellationToken)
    {
        var changed = insert || !snapshots.TryGetValue(instance, out var snapshot) || !ReplicationStateColumns.Unchanged(snapshot, instance);
        if (!changed && instance.Unsaved.IsEmpty)
        {
            metrics.UpdateSkipped();
            return false;
        }

        var db = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        transaction ??= await db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The job row first: a stale version stops the step before any row beside it is written.
            if (changed)
            {
                var written = await db.ExecuteAsync(new CommandDefinition(
                    insert ? statements.Insert : statements.Update,
                    ReplicationStateColumns.Parameters(instance, dialect),
                    transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);

                // Exactly one: a server whose NOCOUNT option is on reports -1, which must not pass for a write.
                if (written != 1)
                {
                    await EndTransactionAsync().ConfigureAwait(false);
                    if (insert)
                    {
                        return false;
                    }

                    metrics.ConcurrencyConflict();
                    throw new ConcurrencyException(
                        $"replication job '{instance.JobId}' changed since version {instance.Version} was loaded", typeof(ReplicationState), instance.CorrelationId);
                }
            }

            await WriteUnsavedRowsAsync(db, instance, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await EndTransactionAsync().ConfigureAwait(false);
            throw;
        }

        await EndTransactionAsync().ConfigureAwait(false);
        if (changed && !insert)
        {
            instance.Version++;
            metrics.JobUpdated();
        }

        instance.Unsaved.Clear();
        snapshots[instance] = ReplicationStateColumns.Capture(instance);
        return true;
    }

    private async Task WriteUnsavedRowsAsync(DbConnection db, ReplicationState instance, CancellationToken cancellationToken)
    {
        var unsaved = instance.Unsaved;
        await rows.AppendJobLogAsync(db, transaction!, unsaved.Log, cancellationToken).ConfigureAwait(false);
        await rows.AddCbtHistoryAsync(db, transaction!, unsaved.History, cancellationToken).ConfigureAwait(false);
        if (unsaved.Disks.Count == 0)
        {
            return;
        }

        if (!unsaved.DisksMayFail)
        {
            await rows.UpsertDisksAsync(db, transaction!, unsaved.Disks, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The seed: a failed disk-level write must not roll back or block the job-level write. The next written
        // observation carries every disk again, so the rows catch up then.
        try
        {
            await rows.UpsertDisksInSavepointAsync(db, transaction!, unsaved.Disks, DiskSavepoint, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            await transaction!.RollbackAsync(DiskSavepoint, cancellationToken).ConfigureAwait(false);
            metrics.DiskWriteFailed();
            LogDiskWriteFailed(logger, ex, instance.JobId, instance.CorrelationId);
            await RestoreDiskDigestAsync(db, instance, unsaved.PreviousDiskDigest, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The job row forgets the disk figures that were not written, so the next observation writes them.</summary>
    private async Task RestoreDiskDigestAsync(DbConnection db, ReplicationState instance, string? previous, CancellationToken cancellationToken)
    {
        if (instance.DiskDigest == previous)
        {
            return;
        }

        var parameters = dialect.JobKey(instance.JobId);
        SqlDialect.AddText(parameters, "DiskDigest", dialect.Ansi(previous, -1));
        await db.ExecuteAsync(new CommandDefinition(statements.RestoreDiskDigest, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        instance.DiskDigest = previous;
    }

    private async ValueTask<DbConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (connection is null)
        {
            connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (dialect.ReadsInWriteTransaction)
            {
                transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return connection;
    }

    private async ValueTask EndTransactionAsync()
    {
        if (transaction is not null)
        {
            // Disposing an uncommitted transaction rolls it back.
            await transaction.DisposeAsync().ConfigureAwait(false);
            transaction = null;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Disk rows of job {JobId} (correlation {CorrelationId}) could not be written; the job row was, and the next observation writes the disks again")]
    private static partial void LogDiskWriteFailed(ILogger logger, Exception exception, string jobId, Guid correlationId);
}
