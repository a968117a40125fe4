using Migration.Oma.Persistence;

namespace Migration.Cli;

/// <summary>Configuration for a CLI command: environment variables (<c>Database__Provider</c>, ...) plus the command's options.</summary>
public static class CliSettings
{
    public const string DefaultDatabasePath = "data/migration.db";

    public static IConfiguration Build(IReadOnlyDictionary<string, string?>? overrides = null) =>
        new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
            .Build();

    /// <summary><c>--db PATH</c> means SQLite at PATH; without it the environment (or the default SQLite file) decides.</summary>
    public static Dictionary<string, string?> Database(string? dbPath) =>
        dbPath is null
            ? []
            : new()
            {
                ["Database:Provider"] = nameof(DatabaseProvider.Sqlite),
                ["Database:ConnectionString"] = $"Data Source={dbPath}",
            };

    /// <summary>Read-only access to the database for jobs, history and watch: no migrations, a clear error when absent.</summary>
    public static ServiceProvider ReadServices(string? dbPath) => ReadServices(Build(Database(dbPath)));

    /// <summary>The same on a configuration of the caller's (tests, and commands that also publish).</summary>
    public static ServiceProvider ReadServices(IConfiguration configuration)
    {
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (options.Provider == DatabaseProvider.Sqlite
            && DbConnectionFactory.SqliteFilePath(options.ConnectionString) is { } file
            && !File.Exists(file))
        {
            throw new CliException($"no database at {Path.GetFullPath(file)}: run 'dotnet run --project Cli -- demo' first, or pass --db PATH");
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(configuration);
        services.AddMigrationPersistence(configuration);
        return services.BuildServiceProvider();
    }
}
