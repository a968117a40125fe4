using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Oma;
using Migration.Contracts;
using Migration.Contracts.Status;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// One replication job from <see cref="StartReplication"/> to completed or failed. The only writer of job state: it
/// applies the seed's throttle, status mapping, backoff and contact timeout through <see cref="ReplicationSteps"/>.
/// </summary>
public sealed class ReplicationStateMachine : MassTransitStateMachine<ReplicationState>
{
    public ReplicationStateMachine(IOptions<TrackingOptions> options)
    {
        var tracking = options.Value;
        InstanceState(x => x.CurrentState);

        Event(() => Start, e => e.CorrelateById(c => c.Message.CorrelationId));
        Event(() => Observed, e =>
        {
            e.CorrelateById(c => c.Message.CorrelationId);
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => PollFailed, e =>
        {
            e.CorrelateById(c => c.Message.CorrelationId);
            e.OnMissingInstance(m => m.Discard());
        });
        Event(() => Cancel, e =>
        {
            e.CorrelateById(c => c.Message.CorrelationId);
            e.OnMissingInstance(m => m.Fault());
        });
        Event(() => StartRejected, e =>
        {
            e.CorrelateById(c => c.Message.CorrelationId);
            e.OnMissingInstance(m => m.Discard());
        });
        Schedule(() => ContactTimeoutExpired, x => x.ContactTimeoutTokenId, s =>
        {
            s.Delay = tracking.ContactTimeout;
            s.Received = r =>
            {
                r.CorrelateById(c => c.Message.CorrelationId);
                r.OnMissingInstance(m => m.Discard());
            };
        });

        Initially(
            When(Start)
                .Activity(x => x.OfType<StartJobActivity>())
                .Schedule(ContactTimeoutExpired, c => new ContactTimeout { JobId = c.Saga.JobId })
                .TransitionTo(Active));

        During(Active,
            When(Start)
                .ThenAsync(c => Steps(c).IgnoreAsync(c.Saga, "StartReplication for a job that is already running")),
            When(Observed)
                .Activity(x => x.OfType<ApplyProgressActivity>())
                .If(c => c.Saga.Status == StatusMapping.Completed, b => b.Unschedule(ContactTimeoutExpired).TransitionTo(Completed))
                .If(c => c.Saga.Status == StatusMapping.Failed, b => b.Unschedule(ContactTimeoutExpired).TransitionTo(Failed)),
            When(PollFailed)
                .Activity(x => x.OfType<RecordPollFailureActivity>()),
            When(ContactTimeoutExpired.Received)
                .IfElse(c => Steps(c).TimeUntilContactDeadline(c.Saga) is null,
                    expired => expired
                        .Activity(x => x.OfType<TimeOutActivity>())
                        .TransitionTo(Failed),
                    contacted => contacted
                        .Schedule(ContactTimeoutExpired,
                            c => new ContactTimeout { JobId = c.Saga.JobId },
                            c => Steps(c).TimeUntilContactDeadline(c.Saga) ?? TimeSpan.Zero)),
            When(Cancel)
                .Activity(x => x.OfType<CancelJobActivity>())
                .Unschedule(ContactTimeoutExpired)
                .TransitionTo(Failed),
            When(StartRejected)
                .Activity(x => x.OfType<RejectStartActivity>())
                .Unschedule(ContactTimeoutExpired)
                .TransitionTo(Failed));

        // A finished job never reopens: late, duplicate or redelivered messages change nothing.
        During(Completed, Failed,
            Ignore(Observed),
            Ignore(PollFailed),
            Ignore(StartRejected),
            Ignore(ContactTimeoutExpired.Received),
            When(Start).ThenAsync(c => Steps(c).IgnoreAsync(c.Saga, "StartReplication for a finished job")),
            When(Cancel).ThenAsync(c => Steps(c).IgnoreAsync(c.Saga, "CancelReplication for a finished job")));
    }

    public State Active { get; private set; } = null!;

    public State Completed { get; private set; } = null!;

    public State Failed { get; private set; } = null!;

    public Event<StartReplication> Start { get; private set; } = null!;

    public Event<ProgressObserved> Observed { get; private set; } = null!;

    public Event<ProgressPollFailed> PollFailed { get; private set; } = null!;

    public Event<CancelReplication> Cancel { get; private set; } = null!;

    public Event<VmaStartRejected> StartRejected { get; private set; } = null!;

    public Schedule<ReplicationState, ContactTimeout> ContactTimeoutExpired { get; private set; } = null!;

    private static ReplicationSteps Steps(BehaviorContext<ReplicationState> context) =>
        context.GetServiceOrCreateInstance<ReplicationSteps>();
}
