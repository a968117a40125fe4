using MassTransit;
using Migration.Oma.Persistence;
using Migration.Oma.Persistence.Dialects;

namespace Migration.OmaWorkers.SagaRepository;

/// <summary>
/// Optimistic Dapper persistence of <see cref="Saga.ReplicationState"/> in <c>replication_jobs</c>: the saga
/// repository MassTransit uses (see <see cref="ReplicationStateRepositoryExtensions"/>) runs one
/// <see cref="ReplicationStateSession"/> per message.
/// </summary>
public sealed class ReplicationStateRepository(
    DbConnectionFactory connections,
    SqlDialect dialect,
    SideRowWriter rows,
    PersistenceMetrics metrics,
    ILogger<ReplicationStateSession> logger)
{
    /// <summary>
    /// Thrown when a write finds the row changed since it was loaded (or a new instance's row already inserted): the
    /// saga endpoint retries it, e.g. <c>UseMessageRetry(r => r.Handle&lt;ConcurrencyException&gt;().Interval(...))</c>,
    /// and the retry loads the current row.
    /// </summary>
    public static Type ConcurrencyExceptionType => typeof(ConcurrencyException);

    private readonly ReplicationStateStatements statements = new(dialect);

    public ReplicationStateSession OpenSession() => new(connections, dialect, statements, rows, metrics, logger);
}
