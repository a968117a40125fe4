using MassTransit;
using MassTransit.Saga;
using Migration.OmaWorkers.Saga;

namespace Migration.OmaWorkers.SagaRepository;

/// <summary>MassTransit's entry into the repository: one <see cref="ReplicationStateSession"/> per message.</summary>
public sealed class ReplicationStateRepositoryContextFactory(
    ReplicationStateRepository repository,
    ISagaConsumeContextFactory<ReplicationStateSession, ReplicationState> consumeContextFactory) :
    ISagaRepositoryContextFactory<ReplicationState>,
    ILoadSagaRepositoryContextFactory<ReplicationState>,
    IQuerySagaRepositoryContextFactory<ReplicationState>
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<ReplicationState, T>> next)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await using var session = repository.OpenSession();
        var repositoryContext = new ReplicationStateRepositoryContext<T>(session, context, consumeContextFactory);
        await next.Send(repositoryContext).ConfigureAwait(false);
    }

    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<ReplicationState> query, IPipe<SagaRepositoryQueryContext<ReplicationState, T>> next)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(next);
        await using var session = repository.OpenSession();
        var instances = await session.QueryAsync(query.GetFilter(), context.CancellationToken).ConfigureAwait(false);
        var repositoryContext = new ReplicationStateRepositoryContext<T>(session, context, consumeContextFactory);
        await next.Send(new LoadedSagaRepositoryQueryContext<ReplicationState, T>(repositoryContext, instances)).ConfigureAwait(false);
    }

    public async Task<T> Execute<T>(Func<LoadSagaRepositoryContext<ReplicationState>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(asyncMethod);
        await using var session = repository.OpenSession();
        return await asyncMethod(new ReplicationStateLoadContext(session, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<T> Execute<T>(Func<QuerySagaRepositoryContext<ReplicationState>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(asyncMethod);
        await using var session = repository.OpenSession();
        return await asyncMethod(new ReplicationStateLoadContext(session, cancellationToken)).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Add("persistence", "dapper");
        context.Add("entities", "replication_jobs");
    }
}
