using System.Data.Common;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Migration.Oma.Persistence;

/// <summary>Opens connections to the configured database, each ready to use (SQLite: busy timeout set).</summary>
public sealed class DbConnectionFactory : IAsyncDisposable
{
    /// <summary>How long a SQLite writer waits for another writer's lock before giving up.</summary>
    public const int SqliteBusyTimeoutMilliseconds = 10_000;

    private readonly NpgsqlDataSource? npgsqlDataSource;

    public DbConnectionFactory(DatabaseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        DapperTypeHandlers.Register();
        Provider = options.Provider;
        ConnectionString = options.ConnectionString;
        if (Provider == DatabaseProvider.Sqlite)
        {
            EnsureSqliteFolder(ConnectionString);
        }
        else if (Provider == DatabaseProvider.Postgres)
        {
            npgsqlDataSource = NpgsqlDataSource.Create(PostgresConnectionString.ForOurPools(ConnectionString));
        }
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        switch (Provider)
        {
            case DatabaseProvider.Sqlite:
                var sqlite = new SqliteConnection(ConnectionString);
                try
                {
                    await sqlite.OpenAsync(cancellationToken).ConfigureAwait(false);
                    await using var pragma = sqlite.CreateCommand();
                    pragma.CommandText = $"PRAGMA busy_timeout = {SqliteBusyTimeoutMilliseconds}; PRAGMA synchronous = NORMAL;";
                    await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    return sqlite;
                }
                catch
                {
                    await sqlite.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

            case DatabaseProvider.Postgres:
                return await npgsqlDataSource!.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

            case DatabaseProvider.SqlServer:
                var sqlServer = new SqlConnection(ConnectionString);
                try
                {
                    await sqlServer.OpenAsync(cancellationToken).ConfigureAwait(false);
                    return sqlServer;
                }
                catch
                {
                    await sqlServer.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

            default:
                throw new InvalidOperationException($"Database:Provider '{Provider}' is not one of Sqlite, Postgres, SqlServer");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (npgsqlDataSource is not null)
        {
            await npgsqlDataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Creates the folder of a SQLite database file (the default is <c>data/migration.db</c>).</summary>
    public static void EnsureSqliteFolder(string connectionString)
    {
        var path = SqliteFilePath(connectionString);
        var folder = path is null ? null : Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }
    }

    /// <summary>The full path of a SQLite database file; null for an in-memory database.</summary>
    public static string? SqliteFilePath(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory
            || string.IsNullOrEmpty(builder.DataSource)
            || builder.DataSource.Equals(":memory:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Path.GetFullPath(builder.DataSource);
    }
}
