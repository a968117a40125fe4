using MassTransit;
using Migration.Contracts;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// The saga's side effects, one activity per event, each handing its work to <see cref="ReplicationSteps"/>.
/// Activities are resolved per message from the consumer's scope, so they get scoped services.
/// </summary>
public abstract class StepActivity<TMessage>(ReplicationSteps steps) : IStateMachineActivity<ReplicationState, TMessage>
    where TMessage : class
{
    protected ReplicationSteps Steps { get; } = steps;

    public void Probe(ProbeContext context) => context.CreateScope(GetType().Name);

    public void Accept(StateMachineVisitor visitor) => visitor.Visit(this);

    public async Task Execute(BehaviorContext<ReplicationState, TMessage> context, IBehavior<ReplicationState, TMessage> next)
    {
        await Run(context.Saga, context.Message, context);
        await next.Execute(context);
    }

    public Task Faulted<TException>(
        BehaviorExceptionContext<ReplicationState, TMessage, TException> context,
        IBehavior<ReplicationState, TMessage> next)
        where TException : Exception => next.Faulted(context);

    protected abstract Task Run(ReplicationState job, TMessage message, ConsumeContext context);
}

public sealed class StartJobActivity(ReplicationSteps steps) : StepActivity<StartReplication>(steps)
{
    protected override Task Run(ReplicationState job, StartReplication message, ConsumeContext context) =>
        Steps.StartAsync(job, message, context);
}

public sealed class ApplyProgressActivity(ReplicationSteps steps) : StepActivity<ProgressObserved>(steps)
{
    protected override Task Run(ReplicationState job, ProgressObserved message, ConsumeContext context) =>
        Steps.ApplyAsync(job, message, context);
}

public sealed class RecordPollFailureActivity(ReplicationSteps steps) : StepActivity<ProgressPollFailed>(steps)
{
    protected override Task Run(ReplicationState job, ProgressPollFailed message, ConsumeContext context) =>
        Steps.RecordPollFailureAsync(job, message, context);
}

public sealed class TimeOutActivity(ReplicationSteps steps) : StepActivity<ContactTimeout>(steps)
{
    protected override Task Run(ReplicationState job, ContactTimeout message, ConsumeContext context) =>
        Steps.TimeOutAsync(job, context);
}

public sealed class CancelJobActivity(ReplicationSteps steps) : StepActivity<CancelReplication>(steps)
{
    protected override Task Run(ReplicationState job, CancelReplication message, ConsumeContext context) =>
        Steps.CancelAsync(job, message, context);
}

public sealed class RejectStartActivity(ReplicationSteps steps) : StepActivity<VmaStartRejected>(steps)
{
    protected override Task Run(ReplicationState job, VmaStartRejected message, ConsumeContext context) =>
        Steps.RejectAsync(job, message, context);
}
