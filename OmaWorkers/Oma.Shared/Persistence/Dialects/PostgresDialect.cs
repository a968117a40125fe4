namespace Migration.Oma.Persistence.Dialects;

/// <summary>PostgreSQL: the base statements as they are, and an advisory lock around migrations.</summary>
public sealed class PostgresDialect : SqlDialect
{
    /// <summary>The advisory-lock key of the schema migration ("MIGRSCHM" as 8 ASCII bytes).</summary>
    public const long MigrationLockKey = 0x4D49_4752_5343_484D;

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    public override string ScriptFolder => "Postgres";

    public override string AcquireMigrationLock => $"SELECT pg_advisory_lock({MigrationLockKey})";

    public override string ReleaseMigrationLock => $"SELECT pg_advisory_unlock({MigrationLockKey})";
}
