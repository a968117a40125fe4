using global::Quartz;
using MassTransit;
using MassTransit.Scheduling;

namespace Migration.Scheduler.Messages;

/// <summary>Removes the trigger of a scheduled message; a token that already fired or never existed is a no-op.</summary>
public sealed class CancelScheduledMessageConsumer(
    ISchedulerFactory schedulerFactory,
    ILogger<CancelScheduledMessageConsumer> logger) : IConsumer<CancelScheduledMessage>
{
    public async Task Consume(ConsumeContext<CancelScheduledMessage> context)
    {
        var scheduler = await schedulerFactory.GetScheduler(context.CancellationToken);
        var removed = await scheduler.UnscheduleJob(
            ScheduledMessageData.TriggerKeyFor(context.Message.TokenId), context.CancellationToken);

        if (removed)
        {
            logger.LogDebug("Cancelled scheduled message {TokenId}", context.Message.TokenId);
        }
        else
        {
            logger.LogDebug("No scheduled message {TokenId} to cancel", context.Message.TokenId);
        }
    }
}
