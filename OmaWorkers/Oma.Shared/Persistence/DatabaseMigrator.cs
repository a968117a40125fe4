using System.Data.Common;
using DbUp;
using DbUp.Builder;
using DbUp.Engine;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Migration.Oma.Persistence.Dialects;
using Npgsql;

namespace Migration.Oma.Persistence;

/// <summary>
/// Applies the versioned scripts under <c>Persistence/Scripts/&lt;provider&gt;</c> with DbUp; already applied scripts
/// (journal table <c>schema_versions</c>) are skipped.
/// </summary>
/// <remarks>
/// Replicas that start together take turns: PostgreSQL through an advisory lock, SQL Server through
/// <c>sp_getapplock</c>, SQLite through an exclusive lock file beside the database. The second one then finds every
/// script journaled and applies nothing.
/// </remarks>
public static class DatabaseMigrator
{
    private const string JournalTable = "schema_versions";

    // The scripts were embedded under this name before persistence moved into the shared library; databases already
    // migrated have these names in their journal, so every script keeps its journaled name whatever assembly holds it.
    private const string JournalNamePrefix = "Migration.OmaWorkers.Persistence.Scripts.";

    private static readonly string ResourcePrefix = $"{typeof(DatabaseMigrator).Namespace}.Scripts.";

    /// <summary>Brings the schema up to date; returns the names of the scripts it applied (empty when none were due).</summary>
    public static IReadOnlyList<string> Migrate(DatabaseOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dialect = SqlDialect.For(options.Provider);
        return options.Provider switch
        {
            DatabaseProvider.Sqlite => MigrateSqlite(options.ConnectionString, dialect, logger),
            DatabaseProvider.Postgres => WithServerLock(new NpgsqlConnection(options.ConnectionString), dialect, () => Upgrade(
                DeployChanges.To.PostgresqlDatabase(options.ConnectionString).JournalToPostgresqlTable("public", JournalTable), dialect, logger)),
            DatabaseProvider.SqlServer => WithServerLock(new SqlConnection(options.ConnectionString), dialect, () => Upgrade(
                DeployChanges.To.SqlDatabase(options.ConnectionString).JournalToSqlTable("dbo", JournalTable), dialect, logger)),
            _ => throw new InvalidOperationException($"Database:Provider '{options.Provider}' is not one of Sqlite, Postgres, SqlServer"),
        };
    }

    /// <summary>The journaled script names of a provider, in the order DbUp applies them.</summary>
    public static IReadOnlyList<string> ScriptNames(DatabaseProvider provider)
    {
        var prefix = ResourcePrefix + SqlDialect.For(provider).ScriptFolder + ".";
        return typeof(DatabaseMigrator).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => JournalNamePrefix + n[ResourcePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The text of one script, by its journaled name.</summary>
    public static string ReadScript(string scriptName)
    {
        ArgumentNullException.ThrowIfNull(scriptName);
        var resource = scriptName.StartsWith(JournalNamePrefix, StringComparison.Ordinal)
            ? ResourcePrefix + scriptName[JournalNamePrefix.Length..]
            : scriptName;
        using var stream = typeof(DatabaseMigrator).Assembly.GetManifestResourceStream(resource)
            ?? throw new ArgumentException($"no embedded script '{scriptName}'", nameof(scriptName));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static IReadOnlyList<string> MigrateSqlite(string connectionString, SqlDialect dialect, ILogger? logger)
    {
        DbConnectionFactory.EnsureSqliteFolder(connectionString);
        var path = DbConnectionFactory.SqliteFilePath(connectionString);
        using var fileLock = path is null ? null : AcquireFileLock(path + ".migrate.lock");

        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // WAL lets the sweep and the CLI read while a saga writes; the mode is stored in the database file.
            command.CommandText = "PRAGMA journal_mode = WAL;";
            command.ExecuteNonQuery();
        }

        return Upgrade(DeployChanges.To.SqliteDatabase(connectionString).JournalToSqliteTable(JournalTable), dialect, logger);
    }

    private static IReadOnlyList<string> Upgrade(UpgradeEngineBuilder builder, SqlDialect dialect, ILogger? logger)
    {
        var scripts = ScriptNames(dialect.Provider).Select(name => new SqlScript(name, ReadScript(name)));
        builder = builder
            .WithScripts(scripts)
            .WithTransactionPerScript()
            .WithVariablesDisabled();
        builder = logger is null ? builder.LogToNowhere() : builder.LogTo(logger);

        var result = builder.Build().PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException(
                $"database migration failed at script '{result.ErrorScript?.Name}': {result.Error?.Message}", result.Error);
        }

        var applied = result.Scripts.Select(s => s.Name).ToArray();
        logger?.LogInformation(
            "Database schema up to date on {Provider}: {AppliedCount} script(s) applied", dialect.Provider, applied.Length);
        return applied;
    }

    private static IReadOnlyList<string> WithServerLock(DbConnection lockConnection, SqlDialect dialect, Func<IReadOnlyList<string>> migrate)
    {
        using (lockConnection)
        {
            lockConnection.Open();
            Execute(lockConnection, dialect.AcquireMigrationLock!);
            try
            {
                return migrate();
            }
            finally
            {
                Execute(lockConnection, dialect.ReleaseMigrationLock!);
            }
        }
    }

    private static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }

    private static FileStream AcquireFileLock(string path)
    {
        // The file stays beside the database: deleting it on release would let two waiters lock two different files.
        const int attempts = 2400;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < attempts)
            {
                Thread.Sleep(50);
            }
        }
    }
}
