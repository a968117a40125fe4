using MassTransit;
using MassTransit.Context;
using MassTransit.Middleware;
using MassTransit.Saga;
using Migration.OmaWorkers.Saga;

namespace Migration.OmaWorkers.SagaRepository;

/// <summary>
/// What MassTransit asks of the repository for one message. A new instance is inserted only in <see cref="Save"/>,
/// after the behaviour succeeded; <see cref="Discard"/> (behaviour failed) and <see cref="Undo"/> write nothing.
/// </summary>
public sealed class ReplicationStateRepositoryContext<TMessage> :
    ConsumeContextScope<TMessage>,
    SagaRepositoryContext<ReplicationState, TMessage>
    where TMessage : class
{
    private readonly ConsumeContext<TMessage> consumeContext;
    private readonly ISagaConsumeContextFactory<ReplicationStateSession, ReplicationState> factory;
    private readonly ReplicationStateSession session;

    public ReplicationStateRepositoryContext(
        ReplicationStateSession session,
        ConsumeContext<TMessage> consumeContext,
        ISagaConsumeContextFactory<ReplicationStateSession, ReplicationState> factory)
        : base(consumeContext, session)
    {
        this.session = session;
        this.consumeContext = consumeContext;
        this.factory = factory;
    }

    public Task<SagaConsumeContext<ReplicationState, T>> CreateSagaConsumeContext<T>(
        ConsumeContext<T> consumeContext, ReplicationState instance, SagaConsumeContextMode mode)
        where T : class =>
        factory.CreateSagaConsumeContext(session, consumeContext, instance, mode);

    public Task<SagaConsumeContext<ReplicationState, TMessage>> Add(ReplicationState instance) =>
        factory.CreateSagaConsumeContext(session, consumeContext, instance, SagaConsumeContextMode.Add);

    /// <summary>The insert-first policy (not used by the replication saga): null when the row exists, so MassTransit loads it.</summary>
    public async Task<SagaConsumeContext<ReplicationState, TMessage>> Insert(ReplicationState instance)
    {
        if (!await session.TryInsertAsync(instance, CancellationToken).ConfigureAwait(false))
        {
            return null!;
        }

        return await factory.CreateSagaConsumeContext(session, consumeContext, instance, SagaConsumeContextMode.Insert).ConfigureAwait(false);
    }

    public async Task<SagaConsumeContext<ReplicationState, TMessage>> Load(Guid correlationId)
    {
        var instance = await session.LoadAsync(correlationId, CancellationToken).ConfigureAwait(false);
        if (instance is null)
        {
            return null!;
        }

        return await factory.CreateSagaConsumeContext(session, consumeContext, instance, SagaConsumeContextMode.Load).ConfigureAwait(false);
    }

    public Task Save(SagaConsumeContext<ReplicationState> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return session.InsertAsync(context.Saga, CancellationToken);
    }

    public Task Update(SagaConsumeContext<ReplicationState> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return session.UpdateAsync(context.Saga, CancellationToken);
    }

    /// <summary>
    /// A finalized saga keeps its row: <c>replication_jobs</c> is the job's record for the CLI and the audit trail, so
    /// "delete" persists the final state like any update.
    /// </summary>
    public Task Delete(SagaConsumeContext<ReplicationState> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return session.UpdateAsync(context.Saga, CancellationToken);
    }

    public Task Discard(SagaConsumeContext<ReplicationState> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        session.Forget(context.Saga);
        return Task.CompletedTask;
    }

    public Task Undo(SagaConsumeContext<ReplicationState> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        session.Forget(context.Saga);
        return Task.CompletedTask;
    }
}

/// <summary>Loads and queries outside a message (MassTransit's load/query repositories, e.g. the test harness).</summary>
public sealed class ReplicationStateLoadContext(ReplicationStateSession session, CancellationToken cancellationToken) :
    BasePipeContext(cancellationToken),
    LoadSagaRepositoryContext<ReplicationState>,
    QuerySagaRepositoryContext<ReplicationState>
{
    public async Task<ReplicationState> Load(Guid correlationId) =>
        (await session.LoadAsync(correlationId, CancellationToken).ConfigureAwait(false))!;

    public async Task<SagaRepositoryQueryContext<ReplicationState>> Query(ISagaQuery<ReplicationState> query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var instances = await session.QueryAsync(query.GetFilter(), cancellationToken).ConfigureAwait(false);
        return new LoadedSagaRepositoryQueryContext<ReplicationState>(this, instances);
    }
}
