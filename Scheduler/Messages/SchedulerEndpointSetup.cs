using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Migration.Scheduler.Messages;

public static class SchedulerEndpointSetup
{
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

        bus.AddConsumer<ScheduleMessageConsumer>().Endpoint(e => e.Name = queueName);
        bus.AddConsumer<CancelScheduledMessageConsumer>().Endpoint(e => e.Name = queueName);
        return bus;
    }
}
