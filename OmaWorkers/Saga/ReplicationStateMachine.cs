using MassTransit;
using Microsoft.Extensions.Options;
using Migration.Contracts;
using Migration.Contracts.Status;
using Migration.Oma;
using Migration.OmaWorkers.Saga.Activities;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// One replication job from <see cref="StartReplication"/> to completed or failed: the only writer of job state. A
/// state per database status; each event's work is an activity; the branches read the message and the job row's named
/// facts (<see cref="JobFacts"/>).
/// </summary>
public sealed class ReplicationStateMachine : MassTransitStateMachine<ReplicationState>
{
    public ReplicationStateMachine(IOptions<TrackingOptions> options, TimeProvider time)
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

        var running = new[] { Pending, Preparing, Snapshotting, Streaming, Finalizing };

        Initially(
            When(Start)
                .Activity(x => x.OfType<StartJobActivity>())
                .Schedule(ContactTimeoutExpired, c => new ContactTimeout { JobId = c.Saga.JobId })
                .TransitionTo(Pending));

        During(running,
            When(Start)
                .Activity(x => x.OfType<LogIgnoredActivity<StartReplication>>()),
            When(Observed, c => !c.Saga.HasSeen(c.Message) && c.Saga.IsOlderThanApplied(c.Message))
                .Activity(x => x.OfType<ApplyProgressActivity>()),
            When(Observed, c => IsNew(c) && c.Message.Progress.Status == VmaJobStatus.Succeeded)
                .Activity(x => x.OfType<ApplyProgressActivity>())
                .Activity(x => x.OfType<CompleteJobActivity>())
                .Unschedule(ContactTimeoutExpired)
                .TransitionTo(Completed),
            When(Observed, c => IsNew(c) && c.Message.Progress.Status == VmaJobStatus.Failed)
                .Activity(x => x.OfType<ApplyProgressActivity>())
                .Activity(x => x.OfType<FailJobActivity>())
                .Unschedule(ContactTimeoutExpired)
                .TransitionTo(Failed),
            When(PollFailed, c => !c.Saga.HasContactSince(c.Message) && !c.Saga.HasCounted(c.Message)
                    && !c.Saga.MayStillBeStarting(c.Message, tracking.StartGrace))
                .Activity(x => x.OfType<RecordPollFailureActivity>())
                .If(c => c.Message.JobUnknownToVma, unknown => unknown.Activity(x => x.OfType<RestartOnVmaActivity>())),
            When(ContactTimeoutExpired.Received, c => c.Saga.ContactDeadline(tracking.ContactTimeout) <= time.GetUtcNow())
                .Activity(x => x.OfType<TimeOutActivity>())
                .TransitionTo(Failed),
            When(ContactTimeoutExpired.Received, c => c.Saga.ContactDeadline(tracking.ContactTimeout) > time.GetUtcNow())
                .Schedule(ContactTimeoutExpired,
                    c => new ContactTimeout { JobId = c.Saga.JobId },
                    c => c.Saga.ContactDeadline(tracking.ContactTimeout) - time.GetUtcNow()),
            When(Cancel)
                .Activity(x => x.OfType<CancelJobActivity>())
                .Unschedule(ContactTimeoutExpired)
                .TransitionTo(Failed),
            When(StartRejected)
                .Activity(x => x.OfType<RejectStartActivity>())
                .Unschedule(ContactTimeoutExpired)
                .TransitionTo(Failed));

        // A running observation moves the job to the state of the VMA's status (the same state when throttled).
        foreach (var (vmaStatus, state) in RunningStatuses())
        {
            During(running,
                When(Observed, c => IsNew(c) && c.Message.Progress.Status == vmaStatus)
                    .Activity(x => x.OfType<ApplyProgressActivity>())
                    .TransitionTo(state));
        }

        // A finished job never reopens: late, duplicate or redelivered messages change nothing.
        During(Completed, Failed,
            Ignore(Observed),
            Ignore(PollFailed),
            Ignore(StartRejected),
            Ignore(ContactTimeoutExpired.Received),
            When(Start).Activity(x => x.OfType<LogIgnoredActivity<StartReplication>>()),
            When(Cancel).Activity(x => x.OfType<LogIgnoredActivity<CancelReplication>>()));
    }

    public State Pending { get; private set; } = null!;

    public State Preparing { get; private set; } = null!;

    public State Snapshotting { get; private set; } = null!;

    public State Streaming { get; private set; } = null!;

    public State Finalizing { get; private set; } = null!;

    public State Completed { get; private set; } = null!;

    public State Failed { get; private set; } = null!;

    public Event<StartReplication> Start { get; private set; } = null!;

    public Event<ProgressObserved> Observed { get; private set; } = null!;

    public Event<ProgressPollFailed> PollFailed { get; private set; } = null!;

    public Event<CancelReplication> Cancel { get; private set; } = null!;

    public Event<VmaStartRejected> StartRejected { get; private set; } = null!;

    public Schedule<ReplicationState, ContactTimeout> ContactTimeoutExpired { get; private set; } = null!;

    private static bool IsNew(BehaviorContext<ReplicationState, ProgressObserved> context) =>
        !context.Saga.HasSeen(context.Message) && !context.Saga.IsOlderThanApplied(context.Message);

    private IEnumerable<(VmaJobStatus Status, State State)> RunningStatuses() =>
        Enum.GetValues<VmaJobStatus>()
            .Where(s => !StatusMapping.IsTerminal(s))
            .Select(s => (s, (State)GetState(JobStates.StateOf(StatusMapping.ToDbStatus(s)))));
}
