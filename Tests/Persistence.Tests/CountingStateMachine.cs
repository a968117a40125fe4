using MassTransit;
using Migration.Contracts.Status;
using Migration.OmaWorkers.Saga;

namespace Migration.Tests.Persistence;

/// <summary>
/// TEST ONLY: adds each message's value to <see cref="ReplicationState.BytesTransferred"/>; a negative value throws.
/// Each step waits a moment, as a real step doing I/O would, so concurrent messages really overlap.
/// </summary>
public sealed class CountingStateMachine : MassTransitStateMachine<ReplicationState>
{
    public CountingStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Added, e => e.CorrelateById(m => m.Message.CorrelationId));

        Initially(
            When(Added)
                .ThenAsync(_ => Task.Delay(StepDuration))
                .Then(context =>
                {
                    Add(context.Saga, context.Message);
                    context.Saga.JobId = context.Message.JobId;
                    context.Saga.VmaUrl = "https://vma.example:443";
                    context.Saga.VmName = "vm-counted";
                    context.Saga.CreatedAt = TestJobs.Now;
                    context.Saga.UpdatedAt = TestJobs.Now;
                })
                .TransitionTo(Counting));

        During(
            Counting,
            When(Added)
                .ThenAsync(_ => Task.Delay(StepDuration))
                .Then(context => Add(context.Saga, context.Message)));
    }

    private static readonly TimeSpan StepDuration = TimeSpan.FromMilliseconds(3);

    public State Counting { get; private set; } = null!;

    public Event<AddBytes> Added { get; private set; } = null!;

    private static void Add(ReplicationState saga, AddBytes message)
    {
        if (message.Value < 0)
        {
            throw new InvalidOperationException("negative byte counts are refused");
        }

        saga.BytesTransferred += message.Value;
    }
}

/// <summary>TEST ONLY message.</summary>
public sealed record AddBytes
{
    public Guid CorrelationId { get; init; }

    public string JobId { get; init; } = "";

    public long Value { get; init; }
}
