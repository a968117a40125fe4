using Microsoft.Data.Sqlite;
using Migration.Oma.Persistence;
using Npgsql;

namespace Migration.Tests.Web;

/// <summary>
/// Fresh migrated databases for the API tests: SQLite files in a temporary folder, and databases on the PostgreSQL
/// server ./test.sh started (<c>MIGRATION_TEST_POSTGRES</c>). Everything created is dropped at the end.
/// </summary>
public sealed class WebDatabases : IAsyncLifetime
{
    private readonly string sqliteFolder = Path.Combine(Path.GetTempPath(), "web-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string runId = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> postgresDatabases = [];
    private int counter;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(sqliteFolder);
        return Task.CompletedTask;
    }

    public async Task<DatabaseOptions> FreshAsync(DatabaseProvider provider)
    {
        var number = Interlocked.Increment(ref counter);
        DatabaseOptions options;
        if (provider == DatabaseProvider.Sqlite)
        {
            options = new DatabaseOptions { Provider = provider, ConnectionString = $"Data Source={Path.Combine(sqliteFolder, $"db{number}.db")}" };
        }
        else
        {
            var admin = Environment.GetEnvironmentVariable("MIGRATION_TEST_POSTGRES") is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException("MIGRATION_TEST_POSTGRES is not set: run ./test.sh (it starts PostgreSQL)");
            var name = $"web_test_{runId}_{number}";
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                await create.ExecuteNonQueryAsync();
            }

            lock (postgresDatabases)
            {
                postgresDatabases.Add(name);
            }

            options = new DatabaseOptions { Provider = provider, ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString };
        }

        DatabaseMigrator.Migrate(options);
        return options;
    }

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        if (postgresDatabases.Count > 0)
        {
            await using var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable("MIGRATION_TEST_POSTGRES"));
            await admin.OpenAsync();
            foreach (var database in postgresDatabases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }
        }

        try
        {
            Directory.Delete(sqliteFolder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a closing pool is left to the temporary folder's cleaner.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WebDatabaseCollection : ICollectionFixture<WebDatabases>
{
    public const string Name = "web-databases";
}

/// <summary>Every API test runs on each provider that can run here (SQL Server's statements are parsed elsewhere).</summary>
public sealed class Providers : TheoryData<DatabaseProvider>
{
    public Providers()
    {
        Add(DatabaseProvider.Sqlite);
        Add(DatabaseProvider.Postgres);
    }
}
