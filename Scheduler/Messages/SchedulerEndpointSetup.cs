using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Migration.Scheduler.Messages;

public static class SchedulerEndpointSetup
{
    /// <summary>Schedules stored per store transaction at most.</summary>
    public const int ScheduleBatchLimit = 100;

    /// <summary>Batches stored at once (each one store transaction, which the cluster's trigger lock serialises anyway).</summary>
    public const int ScheduleBatchConcurrency = 2;

    /// <summary>
    /// Adds the durable message-scheduler endpoint: consumers of MassTransit's <c>ScheduleMessage</c> and
    /// <c>CancelScheduledMessage</c> on <paramref name="queueName"/> (<c>Bus:SchedulerQueue</c>), storing each
    /// message in Quartz until it is due. For the RabbitMQ transport; in memory, MassTransit's delayed scheduler
    /// does the same job. Quartz itself comes from <c>AddPollScheduler</c>.
    /// </summary>
    public static IBusRegistrationConfigurator AddSchedulerEndpoint(
        this IBusRegistrationConfigurator bus, string queueName = "scheduler")
    {
        bus.TryAddSingleton(TimeProvider.System);
        bus.TryAddSingleton<ScheduledMessageJobRegistration>();
        bus.TryAddScoped<ScheduledMessageJob>();

        // A schedule waits at most 20 ms for company: a contact timeout is due minutes later, and the saga that sent it
        // does not wait for it.
        bus.AddConsumer<ScheduleMessageConsumer>(c => c.Options<BatchOptions>(o => o
                .SetMessageLimit(ScheduleBatchLimit)
                .SetConcurrencyLimit(ScheduleBatchConcurrency)
                .SetTimeLimit(TimeSpan.FromMilliseconds(20))))
            .Endpoint(e =>
            {
                e.Name = queueName;
                e.PrefetchCount = ScheduleBatchLimit * ScheduleBatchConcurrency;
            });
        bus.AddConsumer<CancelScheduledMessageConsumer>().Endpoint(e => e.Name = queueName);
        return bus;
    }
}
