using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Migration.OmaWorkers.Saga;

namespace Migration.OmaWorkers.SagaRepository;

public static class ReplicationStateRepositoryExtensions
{
    /// <summary>The repository's own service, on the persistence <c>AddMigrationPersistence</c> registers.</summary>
    public static IServiceCollection AddReplicationStateRepository(this IServiceCollection services)
    {
        services.TryAddSingleton<ReplicationStateRepository>();
        return services;
    }

    /// <summary>
    /// Persists the replication saga in <c>replication_jobs</c> (needs <c>AddMigrationPersistence</c>). Retry
    /// <see cref="ReplicationStateRepository.ConcurrencyExceptionType"/> (<see cref="ConcurrencyException"/>) on the
    /// saga endpoint: it is how a stale write from another worker is redone on the current row.
    /// </summary>
    public static ISagaRegistrationConfigurator<ReplicationState> UseReplicationStateRepository(
        this ISagaRegistrationConfigurator<ReplicationState> configurator)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        configurator.Repository(r =>
        {
            r.AddReplicationStateRepository();
            r.RegisterSagaRepository<ReplicationState, ReplicationStateSession,
                SagaConsumeContextFactory<ReplicationStateSession, ReplicationState>, ReplicationStateRepositoryContextFactory>();
            r.RegisterLoadSagaRepository<ReplicationState, ReplicationStateRepositoryContextFactory>();
            r.RegisterQuerySagaRepository<ReplicationState, ReplicationStateRepositoryContextFactory>();
        });
        return configurator;
    }
}
