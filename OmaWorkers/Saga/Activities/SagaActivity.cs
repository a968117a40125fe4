using MassTransit;

namespace Migration.OmaWorkers.Saga.Activities;

/// <summary>
/// The plumbing every activity of the replication saga shares; a subclass does one thing in <see cref="Run"/>.
/// Activities are resolved per message from the consumer's scope, so they get scoped services.
/// </summary>
public abstract class SagaActivity<TMessage> : IStateMachineActivity<ReplicationState, TMessage>
    where TMessage : class
{
    public void Probe(ProbeContext context) => context.CreateScope(GetType().Name);

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);

    public async Task Execute(BehaviorContext<ReplicationState, TMessage> context, IBehavior<ReplicationState, TMessage> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await Run(context.Saga, context.Message, context);
        await next.Execute(context);
    }

    public Task Faulted<TException>(
        BehaviorExceptionContext<ReplicationState, TMessage, TException> context,
        IBehavior<ReplicationState, TMessage> next)
        where TException : Exception => next.Faulted(context);

    protected abstract Task Run(ReplicationState job, TMessage message, ConsumeContext context);
}
