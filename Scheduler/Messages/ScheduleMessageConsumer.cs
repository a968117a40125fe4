using System.Globalization;
using global::Quartz;
using MassTransit;
using MassTransit.Context;
using MassTransit.Scheduling;

namespace Migration.Scheduler.Messages;

/// <summary>
/// Stores each <see cref="ScheduleMessage"/> as a Quartz trigger keyed by its token, holding the serialized message
/// and its envelope as strings, so it survives restarts and fires on one node of the cluster.
/// </summary>
/// <remarks>
/// The messages come in batches (<see cref="SchedulerEndpointSetup"/>) and a batch is stored in one store transaction:
/// the clustered store takes its trigger lock (a row lock every node shares) once per transaction, so a wave of
/// 1,000 job starts, each scheduling its contact timeout, cost 1,000 serialised lock round trips one by one, and held
/// the poll sweep's own trigger behind them. Within a batch a token scheduled twice keeps its last schedule, as
/// storing them in turn would.
/// </remarks>
public sealed class ScheduleMessageConsumer(
    ISchedulerFactory schedulerFactory,
    ScheduledMessageJobRegistration jobRegistration,
    TimeProvider timeProvider,
    ILogger<ScheduleMessageConsumer> logger) : IConsumer<Batch<ScheduleMessage>>
{
    public async Task Consume(ConsumeContext<Batch<ScheduleMessage>> context)
    {
        var scheduler = await schedulerFactory.GetScheduler(context.CancellationToken);
        await jobRegistration.EnsureAsync(scheduler, context.CancellationToken);

        var triggers = new Dictionary<TriggerKey, ITrigger>();
        foreach (var scheduled in context.Message)
        {
            var trigger = TriggerFor(scheduled);
            triggers[trigger.Key] = trigger;
        }

        await scheduler.ScheduleJobs(
            new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>> { [jobRegistration.Job] = triggers.Values.ToList() },
            ScheduleJobOptions.Replacing,
            context.CancellationToken);

        if (logger.IsEnabled(LogLevel.Debug))
        {
            foreach (var scheduled in context.Message)
            {
                logger.LogDebug(
                    "Scheduled message {TokenId} of {MessageTypes} for {Destination} at {ScheduledTime}",
                    scheduled.Message.CorrelationId, scheduled.Message.PayloadType, scheduled.Message.Destination, scheduled.Message.ScheduledTime);
            }
        }
    }

    ITrigger TriggerFor(ConsumeContext<ScheduleMessage> context)
    {
        var message = context.Message;

        // The payload is written back into a full envelope carrying its original message types, so the
        // destination receives exactly the message the sender scheduled.
        var body = context.SerializerContext
            .GetMessageSerializer(message.Payload, message.PayloadType)
            .GetMessageBody(new MessageSendContext<ScheduleMessage>(message, context.CancellationToken));

        var scheduledTime = new DateTimeOffset(DateTime.SpecifyKind(message.ScheduledTime, DateTimeKind.Utc));
        return TriggerBuilder.Create(timeProvider)
            .WithIdentity(ScheduledMessageData.TriggerKeyFor(message.CorrelationId))
            .ForJob(ScheduledMessageData.JobKey)
            .StartAt(scheduledTime)
            .WithSchedule(SimpleScheduleBuilder.Create().WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .UsingJobData(EnvelopeData(context, message, body.GetString()))
            .Build();
    }

    static JobDataMap EnvelopeData(ConsumeContext context, ScheduleMessage message, string body)
    {
        var data = new JobDataMap
        {
            [ScheduledMessageData.Destination] = message.Destination.ToString(),
            [ScheduledMessageData.Body] = body,
            [ScheduledMessageData.ContentType] = context.ReceiveContext.ContentType?.ToString()
                ?? MassTransit.Serialization.SystemTextJsonMessageSerializer.JsonContentType.ToString(),
            [ScheduledMessageData.TokenId] = message.CorrelationId.ToString("D"),
        };

        Put(data, ScheduledMessageData.MessageId, context.MessageId);
        Put(data, ScheduledMessageData.CorrelationId, context.CorrelationId);
        Put(data, ScheduledMessageData.ConversationId, context.ConversationId);
        Put(data, ScheduledMessageData.InitiatorId, context.InitiatorId);
        Put(data, ScheduledMessageData.RequestId, context.RequestId);
        Put(data, ScheduledMessageData.SourceAddress, context.SourceAddress);
        Put(data, ScheduledMessageData.ResponseAddress, context.ResponseAddress);
        Put(data, ScheduledMessageData.FaultAddress, context.FaultAddress);
        if (context.ExpirationTime is { } expiration)
        {
            data[ScheduledMessageData.ExpirationTime] = expiration.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        }

        var headers = ScheduledHeaders.ToJson(context.Headers.GetAll());
        if (headers is not null)
        {
            data[ScheduledMessageData.HeadersAsJson] = headers;
        }

        return data;
    }

    static void Put(JobDataMap data, string key, Guid? value)
    {
        if (value.HasValue)
        {
            data[key] = value.Value.ToString("D");
        }
    }

    static void Put(JobDataMap data, string key, Uri? value)
    {
        if (value is not null)
        {
            data[key] = value.ToString();
        }
    }
}
