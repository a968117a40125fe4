using Npgsql;

namespace Migration.Tests.Scheduler.Support;

/// <summary>
/// A fresh PostgreSQL database for this test run (random name), dropped at the end. The server comes from
/// <c>./test.sh</c>, which exports its admin connection string as <c>MIGRATION_TEST_POSTGRES</c>.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public const string Variable = "MIGRATION_TEST_POSTGRES";

    readonly string _admin;
    readonly string _name = "sched_" + Guid.NewGuid().ToString("N")[..12];

    public PostgresDatabase()
    {
        _admin = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } admin
            ? admin
            : throw new InvalidOperationException($"{Variable} is not set: run ./test.sh (it starts PostgreSQL)");
        ConnectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = _name, Pooling = true }.ConnectionString;
    }

    public string ConnectionString { get; }

    public async Task InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_name}\"", connection);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresDatabase>
{
    public const string Name = "postgres";
}
