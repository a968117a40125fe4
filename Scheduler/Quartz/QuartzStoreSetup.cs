using global::Quartz;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Migration.Oma.Persistence;
using Npgsql;

namespace Migration.Scheduler.Quartz;

/// <summary>Points Quartz at the store <see cref="QuartzStoreOptions"/> names.</summary>
internal static class QuartzStoreSetup
{
    public static void UseConfiguredStore(this IQuartzBuilder quartz, QuartzStoreOptions store, DatabaseOptions database)
    {
        quartz.ConfigureScheduler(s => s.InstanceName = store.SchedulerName);

        if (store.Store == QuartzStoreKind.Ram)
        {
            quartz.UseInMemoryStore(o => o.MisfireThreshold = store.MisfireThreshold);
            return;
        }

        quartz.UsePersistentStore(p =>
        {
            switch (database.Provider)
            {
                case DatabaseProvider.Postgres:
                    p.UsePostgres(NpgsqlFactory.Instance, PostgresConnectionString.ForOurPools(database.ConnectionString));
                    break;
                case DatabaseProvider.SqlServer:
                    p.UseSqlServer(SqlClientFactory.Instance, database.ConnectionString);
                    break;
                case DatabaseProvider.Sqlite:
                    EnsureSqliteFolder(database.ConnectionString);
                    p.UseSqlite(SqliteFactory.Instance, database.ConnectionString);
                    break;
                default:
                    throw new InvalidOperationException($"Database:Provider '{database.Provider}' has no Quartz store");
            }

            p.ConfigureStore(o =>
            {
                o.TablePrefix = store.TablePrefix;
                // Every value the endpoint stores is a string: readable in the table, and no type names to keep stable.
                o.StoreJobDataAsStrings = true;
                o.MisfireThreshold = store.MisfireThreshold;
                o.DbRetryInterval = store.DbRetryInterval;
                o.MisfireHandlerFrequency = store.MisfireScanInterval;
                o.SchemaProvisioning = store.CreateSchema ? SchemaProvisioning.CreateIfMissing : SchemaProvisioning.Validate;
            });

            // SQLite is one file behind one process: a cluster on it would only fight over the file lock.
            if (store.Clustered && database.Provider != DatabaseProvider.Sqlite)
            {
                p.UseClustering(c => c.CheckinInterval = store.ClusterCheckinInterval);
            }
        });
    }

    static void EnsureSqliteFolder(string connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        var folder = Path.GetDirectoryName(Path.GetFullPath(file));
        if (!string.IsNullOrEmpty(folder) && file != ":memory:")
        {
            Directory.CreateDirectory(folder);
        }
    }
}
