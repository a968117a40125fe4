using MassTransit;

namespace Migration.OmaWorkers.Consumers;

/// <summary>Polls are I/O-bound HTTP calls of up to 10 s each: many run at once, and a failed poll is an event, not a retry.</summary>
public abstract class PollConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    protected PollConsumerDefinition() => ConcurrentMessageLimit = 256;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 256;
        endpointConfigurator.UseMessageRetry(r => r.Immediate(2));
    }
}

public sealed class PollProgressConsumerDefinition : PollConsumerDefinition<PollProgressConsumer>;

public sealed class PollProgressBatchConsumerDefinition : PollConsumerDefinition<PollProgressBatchConsumer>;

public sealed class StartVmaReplicationConsumerDefinition : ConsumerDefinition<StartVmaReplicationConsumer>
{
    public StartVmaReplicationConsumerDefinition() => ConcurrentMessageLimit = 32;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<StartVmaReplicationConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Intervals(500, 2_000, 5_000));
}
