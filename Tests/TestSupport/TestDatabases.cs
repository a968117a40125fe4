using Microsoft.Data.Sqlite;
using Migration.Oma.Persistence;
using Npgsql;
using Xunit;

namespace Migration.Tests.Support;

/// <summary>
/// Databases for a test run: SQLite files in a temporary folder and databases on the PostgreSQL server ./test.sh
/// started (<c>MIGRATION_TEST_POSTGRES</c>) — one shared, migrated database per provider, and fresh ones for tests that
/// look at whole tables. Everything created is dropped at the end. Used as a collection fixture.
/// </summary>
public sealed class TestDatabases : IAsyncLifetime
{
    public const string PostgresVariable = "MIGRATION_TEST_POSTGRES";

    private readonly string _sqliteFolder = Path.Combine(Path.GetTempPath(), "test-databases-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string _runId = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> _postgresDatabases = [];
    private readonly Dictionary<DatabaseProvider, DatabaseOptions> _shared = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _counter;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_sqliteFolder);
        return Task.CompletedTask;
    }

    /// <summary>The run's migrated database of <paramref name="provider"/>; tests keep apart by their own job ids.</summary>
    public async Task<DatabaseOptions> SharedAsync(DatabaseProvider provider)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_shared.TryGetValue(provider, out var options))
            {
                options = await CreateAsync(provider);
                DatabaseMigrator.Migrate(options);
                _shared[provider] = options;
            }

            return options;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A new empty database (migrated unless told otherwise), for tests that read whole tables.</summary>
    public async Task<DatabaseOptions> FreshAsync(DatabaseProvider provider, bool migrate = true)
    {
        DatabaseOptions options;
        await _gate.WaitAsync();
        try
        {
            options = await CreateAsync(provider);
        }
        finally
        {
            _gate.Release();
        }

        if (migrate)
        {
            DatabaseMigrator.Migrate(options);
        }

        return options;
    }

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        if (_postgresDatabases.Count > 0)
        {
            await using var admin = new NpgsqlConnection(AdminConnectionString());
            await admin.OpenAsync();
            foreach (var database in _postgresDatabases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
                await drop.ExecuteNonQueryAsync();
            }
        }

        try
        {
            Directory.Delete(_sqliteFolder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a closing pool is left to the temporary folder's cleaner.
        }

        _gate.Dispose();
    }

    // Called under the gate.
    private async Task<DatabaseOptions> CreateAsync(DatabaseProvider provider)
    {
        var number = ++_counter;
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                var file = Path.Combine(_sqliteFolder, $"db{number}", "migration.db");
                return new DatabaseOptions { Provider = provider, ConnectionString = $"Data Source={file}" };

            case DatabaseProvider.Postgres:
                var admin = AdminConnectionString();
                var name = $"test_{_runId}_{number}";
                await using (var connection = new NpgsqlConnection(admin))
                {
                    await connection.OpenAsync();
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                    await create.ExecuteNonQueryAsync();
                }

                _postgresDatabases.Add(name);
                return new DatabaseOptions { Provider = provider, ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString };

            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "SQL Server cannot run here; its SQL is parsed by ScriptDom");
        }
    }

    private static string AdminConnectionString() =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{PostgresVariable} is not set, so the PostgreSQL tests cannot run: run ./test.sh (it starts PostgreSQL)");
}

/// <summary>Every database-backed test runs once per provider that can run here (SQL Server's statements are parsed elsewhere).</summary>
public sealed class Providers : TheoryData<DatabaseProvider>
{
    public Providers()
    {
        Add(DatabaseProvider.Sqlite);
        Add(DatabaseProvider.Postgres);
    }
}
