using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Migration.Oma.Persistence.Dialects;

namespace Migration.Oma.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>
    /// The database behind the saga and the sweep: options (section <c>Database</c>), connection factory, SQL dialect,
    /// <see cref="IReplicationStore"/>, <see cref="IJobQueries"/>, <see cref="PersistenceMetrics"/> and the start-up
    /// migration (the saga's instance repository is the workers' <c>UseReplicationStateRepository</c>).
    /// </summary>
    public static IServiceCollection AddMigrationPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "Database:ConnectionString must be set")
            .Validate(o => Enum.IsDefined(o.Provider), "Database:Provider must be Sqlite, Postgres or SqlServer")
            .ValidateOnStart();

        services.AddMetrics();
        services.TryAddSingleton(sp => new PersistenceMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(sp => new DbConnectionFactory(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value));
        services.TryAddSingleton(sp => SqlDialect.For(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.Provider));
        services.TryAddSingleton<SideRowWriter>();
        services.TryAddSingleton<IReplicationStore, ReplicationStore>();
        services.TryAddSingleton<IJobQueries, JobQueries>();
        services.TryAddSingleton<IPollSweepStore, PollSweepStore>();
        services.TryAddSingleton<IJobPageQueries, JobPageQueries>();

        // A lifecycle service's StartingAsync runs before every hosted service's StartAsync.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DatabaseMigrationService>());
        return services;
    }
}
