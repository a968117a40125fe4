using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Migration.Oma.Persistence;
using Migration.Tests.Support;

namespace Migration.Tests.Persistence;

[Collection(DatabaseCollection.Name)]
public sealed class MigrationTests(TestDatabases fixture)
{
    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Migrations_apply_once_and_a_second_run_applies_nothing(DatabaseProvider provider)
    {
        var options = await fixture.FreshAsync(provider, migrate: false);

        var first = DatabaseMigrator.Migrate(options);
        var second = DatabaseMigrator.Migrate(options);

        Assert.Equal(DatabaseMigrator.ScriptNames(provider), first);
        Assert.NotEmpty(first);
        Assert.Empty(second);
        await using var services = DatabaseServices.Services(options);
        await using var connection = await services.GetRequiredService<DbConnectionFactory>().OpenAsync(CancellationToken.None);
        foreach (var table in new[] { "replication_jobs", "vm_disks", "cbt_history", "job_log" })
        {
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}"));
        }
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Replicas_starting_together_apply_each_script_exactly_once(DatabaseProvider provider)
    {
        var options = await fixture.FreshAsync(provider, migrate: false);

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => DatabaseMigrator.Migrate(options))));

        Assert.Equal(DatabaseMigrator.ScriptNames(provider), runs.SelectMany(r => r).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Sqlite_database_is_created_with_its_folder_in_wal_mode()
    {
        var options = await fixture.FreshAsync(DatabaseProvider.Sqlite, migrate: false);
        var file = DbConnectionFactory.SqliteFilePath(options.ConnectionString)!;
        Assert.False(Directory.Exists(Path.GetDirectoryName(file)));

        DatabaseMigrator.Migrate(options);

        Assert.True(File.Exists(file));
        await using var services = DatabaseServices.Services(options);
        await using var connection = await services.GetRequiredService<DbConnectionFactory>().OpenAsync(CancellationToken.None);
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal(DbConnectionFactory.SqliteBusyTimeoutMilliseconds, await connection.ExecuteScalarAsync<long>("PRAGMA busy_timeout"));
    }

    [Theory]
    [ClassData(typeof(Providers))]
    public async Task Host_migrates_before_any_hosted_service_starts(DatabaseProvider provider)
    {
        var options = await fixture.FreshAsync(provider, migrate: false);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(DatabaseServices.ConfigurationOf(options));
        // Registered first, so it would start first if the migration ran in an ordinary StartAsync.
        builder.Services.AddSingleton<SchemaProbe>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SchemaProbe>());
        builder.Services.AddMigrationPersistence(builder.Configuration);

        using var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(0L, host.Services.GetRequiredService<SchemaProbe>().JobCountAtStart);
    }

    private sealed class SchemaProbe(DbConnectionFactory connections) : IHostedService
    {
        public long? JobCountAtStart { get; private set; }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using DbConnection connection = await connections.OpenAsync(cancellationToken);
            JobCountAtStart = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM replication_jobs");
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
