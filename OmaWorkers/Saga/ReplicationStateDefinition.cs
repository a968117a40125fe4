using MassTransit;

namespace Migration.OmaWorkers.Saga;

/// <summary>
/// The saga's endpoint (<c>replication-state</c>): one job's messages in order within a process (partitioner),
/// optimistic-concurrency conflicts between processes retried, and outgoing messages held until the row is saved.
/// </summary>
public sealed class ReplicationStateDefinition : SagaDefinition<ReplicationState>
{
    /// <summary>
    /// Saga steps in flight per process. Each waits on the database (load, disk rows, update: a few round trips) and
    /// holds at most two pooled connections, so 32 stays well inside Npgsql's default pool of 100. MassTransit's default
    /// (16 on a small machine) capped a worker at about 16 / step time: 2,000 jobs need 1,000 steps/s.
    /// </summary>
    public const int ConcurrentSagaSteps = 32;

    public ReplicationStateDefinition() => ConcurrentMessageLimit = ConcurrentSagaSteps;

    protected override void ConfigureSaga(
        IReceiveEndpointConfigurator endpointConfigurator,
        ISagaConfigurator<ReplicationState> sagaConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = ConcurrentSagaSteps * 2;

        // More partitions than steps in flight, so two busy jobs rarely share one.
        var partition = endpointConfigurator.CreatePartitioner(ConcurrentSagaSteps * 2);
        sagaConfigurator.Message<Contracts.StartReplication>(m =>
        {
            m.UseFilter(new StartReplicationValidation());
            m.UsePartitioner(partition, c => c.Message.CorrelationId);
        });
        sagaConfigurator.Message<Contracts.ProgressObserved>(m => m.UsePartitioner(partition, c => c.Message.CorrelationId));
        sagaConfigurator.Message<Contracts.ProgressPollFailed>(m => m.UsePartitioner(partition, c => c.Message.CorrelationId));
        sagaConfigurator.Message<Contracts.ContactTimeout>(m => m.UsePartitioner(partition, c => c.Message.CorrelationId));
        sagaConfigurator.Message<Contracts.CancelReplication>(m => m.UsePartitioner(partition, c => c.Message.CorrelationId));
        sagaConfigurator.Message<Contracts.VmaStartRejected>(m => m.UsePartitioner(partition, c => c.Message.CorrelationId));

        endpointConfigurator.UseMessageRetry(r =>
        {
            // Optimistic-concurrency conflicts between replicas, and transient database errors, are retried with a
            // fresh load of the row; a command that can never succeed is not. The tail of 10 s waits rides out a
            // database outage of about two minutes: shorter, and a 20 s restart moved StartReplication and
            // ProgressObserved messages to replication-state_error (a lost job, for a StartReplication).
            r.Ignore<InvalidCommandException>();
            r.Ignore<ArgumentException>();
            r.Ignore<System.Text.Json.JsonException>();
            r.Ignore<System.Runtime.Serialization.SerializationException>();
            r.Intervals([20, 50, 100, 200, 500, 1_000, 2_000, 5_000, .. Enumerable.Repeat(10_000, 11)]);
        });
        endpointConfigurator.UseInMemoryOutbox(context);
    }
}
