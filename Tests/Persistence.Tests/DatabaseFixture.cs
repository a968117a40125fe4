using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Migration.Oma.Persistence;
using Migration.OmaWorkers.SagaRepository;
using Npgsql;

namespace Migration.Tests.Persistence;

/// <summary>
/// One SQLite folder and one PostgreSQL server for the whole run: a shared, migrated database per provider, plus fresh
/// databases for tests that look at whole tables. Everything created is dropped at the end.
/// </summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    public const string PostgresVariable = "MIGRATION_TEST_POSTGRES";

    private readonly string sqliteFolder = Path.Combine(Path.GetTempPath(), "persistence-tests-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string runId = Guid.NewGuid().ToString("N")[..10];
    private readonly List<string> postgresDatabases = [];
    private readonly Dictionary<DatabaseProvider, DatabaseOptions> shared = [];
    private readonly SemaphoreSlim gate = new(1, 1);
    private int databaseCounter;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(sqliteFolder);
        return Task.CompletedTask;
    }

    /// <summary>The run's migrated database of <paramref name="provider"/>; tests keep apart by their own job ids.</summary>
    public async Task<DatabaseOptions> SharedAsync(DatabaseProvider provider)
    {
        await gate.WaitAsync();
        try
        {
            if (!shared.TryGetValue(provider, out var options))
            {
                options = await CreateDatabaseCoreAsync(provider);
                DatabaseMigrator.Migrate(options);
                shared[provider] = options;
            }

            return options;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>A new empty database (migrated unless told otherwise), for tests that read whole tables.</summary>
    public async Task<DatabaseOptions> FreshAsync(DatabaseProvider provider, bool migrate = true)
    {
        DatabaseOptions options;
        await gate.WaitAsync();
        try
        {
            options = await CreateDatabaseCoreAsync(provider);
        }
        finally
        {
            gate.Release();
        }

        if (migrate)
        {
            DatabaseMigrator.Migrate(options);
        }

        return options;
    }

    public static ServiceProvider Services(DatabaseOptions options, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Database:Provider"] = options.Provider.ToString(),
                ["Database:ConnectionString"] = options.ConnectionString,
            })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMigrationPersistence(configuration);
        services.AddReplicationStateRepository();
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    public static Dictionary<string, string?> ConfigurationOf(DatabaseOptions options) => new()
    {
        ["Database:Provider"] = options.Provider.ToString(),
        ["Database:ConnectionString"] = options.ConnectionString,
    };

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        if (postgresDatabases.Count > 0)
        {
            await using var admin = new NpgsqlConnection(AdminConnectionString());
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
            // A file still open by a dying pool is left to the temp folder's cleaner.
        }

        gate.Dispose();
    }

    private async Task<DatabaseOptions> CreateDatabaseCoreAsync(DatabaseProvider provider)
    {
        var number = Interlocked.Increment(ref databaseCounter);
        switch (provider)
        {
            case DatabaseProvider.Sqlite:
                var file = Path.Combine(sqliteFolder, $"db{number}", "migration.db");
                return new DatabaseOptions { Provider = provider, ConnectionString = $"Data Source={file}" };

            case DatabaseProvider.Postgres:
                var admin = AdminConnectionString();
                var name = $"persistence_test_{runId}_{number}";
                await using (var connection = new NpgsqlConnection(admin))
                {
                    await connection.OpenAsync();
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                    await create.ExecuteNonQueryAsync();
                }

                postgresDatabases.Add(name);
                var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
                return new DatabaseOptions { Provider = provider, ConnectionString = builder.ConnectionString };

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

[CollectionDefinition(Name)]
public sealed class DatabaseCollection : ICollectionFixture<DatabaseFixture>
{
    public const string Name = "database";
}

/// <summary>Every database-backed test runs once per provider that can run here.</summary>
public sealed class Providers : TheoryData<DatabaseProvider>
{
    public Providers()
    {
        Add(DatabaseProvider.Sqlite);
        Add(DatabaseProvider.Postgres);
    }
}
