using System.Data.Common;
using Dapper;
using MassTransit;
using Migration.Oma.Persistence;
using Migration.Oma.Persistence.Dialects;
using Migration.OmaWorkers.Saga;

namespace Migration.OmaWorkers.SagaRepository;

/// <summary>
/// The database side of one saga message: loads instances (remembering what they looked like), then writes each one
/// back with a single statement that refuses a stale version.
/// </summary>
/// <remarks>
/// Nothing is written while the saga's behaviour runs, so a behaviour that throws leaves no trace, and no lock or
/// transaction is held across it (a single INSERT or UPDATE is atomic by itself). Concurrent writers of one job are
/// told apart by the version column alone, which is what protects several worker replicas.
/// </remarks>
public sealed class ReplicationStateSession : IAsyncDisposable
{
    private readonly DbConnectionFactory connections;
    private readonly SqlDialect dialect;
    private readonly ReplicationStateStatements statements;
    private readonly PersistenceMetrics metrics;
    private readonly Dictionary<ReplicationState, object?[]> snapshots = new(ReferenceEqualityComparer.Instance);
    private DbConnection? connection;

    internal ReplicationStateSession(DbConnectionFactory connections, SqlDialect dialect, ReplicationStateStatements statements, PersistenceMetrics metrics)
    {
        this.connections = connections;
        this.dialect = dialect;
        this.statements = statements;
        this.metrics = metrics;
    }

    /// <summary>The instance of <paramref name="correlationId"/>, or null when the job has no row yet.</summary>
    public async Task<ReplicationState?> LoadAsync(Guid correlationId, CancellationToken cancellationToken)
    {
        var db = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var instance = await db.QuerySingleOrDefaultAsync<ReplicationState>(new CommandDefinition(
            statements.Load, new { CorrelationId = dialect.Uuid(correlationId) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
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
        var all = await db.QueryAsync<ReplicationState>(new CommandDefinition(statements.SelectAll, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        var matches = all.Where(predicate).ToArray();
        foreach (var instance in matches)
        {
            snapshots[instance] = ReplicationStateColumns.Capture(instance);
        }

        return matches;
    }

    /// <summary>Inserts a new instance; false (and nothing written) when the job's row already exists.</summary>
    public async Task<bool> TryInsertAsync(ReplicationState instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var db = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await db.ExecuteAsync(new CommandDefinition(
            statements.Insert, ReplicationStateColumns.Parameters(instance, dialect), cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (rows == 0)
        {
            return false;
        }

        metrics.JobInserted();
        snapshots[instance] = ReplicationStateColumns.Capture(instance);
        return true;
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
    /// Writes a changed instance back (version + 1) and returns true; returns false without any statement when nothing
    /// changed since it was loaded. <see cref="ConcurrencyException"/> when the row's version moved meanwhile.
    /// </summary>
    public async Task<bool> UpdateAsync(ReplicationState instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (snapshots.TryGetValue(instance, out var snapshot) && ReplicationStateColumns.Unchanged(snapshot, instance))
        {
            metrics.UpdateSkipped();
            return false;
        }

        var db = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await db.ExecuteAsync(new CommandDefinition(
            statements.Update, ReplicationStateColumns.Parameters(instance, dialect), cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (rows == 0)
        {
            metrics.ConcurrencyConflict();
            throw new ConcurrencyException(
                $"replication job '{instance.JobId}' changed since version {instance.Version} was loaded", typeof(ReplicationState), instance.CorrelationId);
        }

        instance.Version++;
        metrics.JobUpdated();
        snapshots[instance] = ReplicationStateColumns.Capture(instance);
        return true;
    }

    /// <summary>Drops what the session remembers of an instance (its changes are not to be written).</summary>
    public void Forget(ReplicationState instance) => snapshots.Remove(instance);

    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            connection = null;
        }
    }

    private async ValueTask<DbConnection> ConnectionAsync(CancellationToken cancellationToken) =>
        connection ??= await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
}
