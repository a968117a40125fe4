namespace Migration.Oma.Persistence;

/// <summary>Config section <c>Database</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Sqlite (embedded default), Postgres or SqlServer.</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>For SQLite, defaults to the file <c>data/migration.db</c> (created with its folder).</summary>
    public string ConnectionString { get; set; } = "Data Source=data/migration.db";
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
    SqlServer,
}
