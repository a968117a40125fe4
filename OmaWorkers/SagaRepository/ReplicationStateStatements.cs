using Migration.Oma.Persistence.Dialects;

namespace Migration.OmaWorkers.SagaRepository;

/// <summary>
/// The saga instance's statements on <c>replication_jobs</c>, built from <see cref="ReplicationStateColumns"/> in the
/// provider's dialect (the shared persistence library knows the table, not the saga's class).
/// </summary>
public sealed class ReplicationStateStatements(SqlDialect dialect)
{
    public string Load { get; } = $"SELECT {ReplicationStateColumns.SelectList} FROM replication_jobs WHERE correlation_id = @CorrelationId";

    public string SelectAll { get; } = $"SELECT {ReplicationStateColumns.SelectList} FROM replication_jobs";

    public string Insert { get; } = dialect.CountingRows(dialect.InsertUnlessExists(
        "replication_jobs",
        string.Join(", ", ReplicationStateColumns.All.Select(c => c.Name)),
        string.Join(", ", ReplicationStateColumns.All.Select(c => "@" + c.Property.Name)),
        "id = @JobId",
        "correlation_id = @CorrelationId"));

    public string Update { get; } = dialect.CountingRows(
        "UPDATE replication_jobs SET " +
        string.Join(", ", ReplicationStateColumns.Updatable.Select(c => $"{c.Name} = @{c.Property.Name}")) +
        ", version = version + 1 WHERE id = @JobId AND version = @Version");

    /// <summary>Puts the disk digest back after the step's disk rows failed (same transaction, same version).</summary>
    public string RestoreDiskDigest { get; } = "UPDATE replication_jobs SET disk_digest = @DiskDigest WHERE id = @JobId";

    /// <summary>Every statement, by name (the SQL Server ones are parsed by a test).</summary>
    public IReadOnlyDictionary<string, string> All() => new Dictionary<string, string>
    {
        ["Saga" + nameof(Load)] = Load,
        ["Saga" + nameof(SelectAll)] = SelectAll,
        ["Saga" + nameof(Insert)] = Insert,
        ["Saga" + nameof(Update)] = Update,
        ["Saga" + nameof(RestoreDiskDigest)] = RestoreDiskDigest,
    };
}
