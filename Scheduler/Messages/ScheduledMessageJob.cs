using System.Globalization;
using System.Net.Mime;
using global::Quartz;
using MassTransit;
using MassTransit.Context;
using MassTransit.Serialization;

namespace Migration.Scheduler.Messages;

/// <summary>
/// Fires for a stored <see cref="MassTransit.Scheduling.ScheduleMessage"/>: sends the stored envelope to its
/// destination with its original message types, ids and headers.
/// </summary>
/// <remarks>
/// A send that fails is refired a few times at once (the broker may be reconnecting); past that the failure is
/// logged and the trigger is done. The scheduling token goes out as the <c>MT-Scheduling-TokenId</c> header, which
/// is how a saga tells a current timeout from a superseded one.
/// </remarks>
public sealed class ScheduledMessageJob(
    ISendEndpointProvider sendEndpointProvider,
    TimeProvider timeProvider,
    ILogger<ScheduledMessageJob> logger) : IJob
{
    const int MaxImmediateRefires = 5;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        var destination = new Uri(Required(data, ScheduledMessageData.Destination));
        var envelope = new StoredEnvelope(data, context, timeProvider);

        if (envelope.TimeToLive is { } ttl && ttl <= TimeSpan.Zero)
        {
            logger.LogWarning(
                "Scheduled message {TokenId} for {Destination} expired before it was due; not sent", envelope.TokenId, destination);
            return;
        }

        try
        {
            var endpoint = await sendEndpointProvider.GetSendEndpoint(destination);
            await endpoint.Send(new SerializedMessageBody(), new ForwardEnvelopePipe(envelope, destination), cancellationToken);
            logger.LogDebug(
                "Sent scheduled message {TokenId} to {Destination}, due {ScheduledFireTime}",
                envelope.TokenId, destination, context.ScheduledFireTimeUtc);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogError(
                ex, "Sending scheduled message {TokenId} to {Destination} failed (attempt {Attempt})",
                envelope.TokenId, destination, context.RefireCount + 1);
            throw new JobExecutionException(ex) { RefireImmediately = context.RefireCount < MaxImmediateRefires };
        }
    }

    static string Required(JobDataMap data, string key) =>
        data.TryGetString(key, out var value) && !string.IsNullOrEmpty(value)
            ? value
            : throw new JobExecutionException($"Scheduled message trigger has no '{key}'");

    sealed class StoredEnvelope
    {
        public StoredEnvelope(JobDataMap data, IJobExecutionContext context, TimeProvider timeProvider)
        {
            Body = Required(data, ScheduledMessageData.Body);
            ContentType = new ContentType(Required(data, ScheduledMessageData.ContentType));
            TokenId = GuidOrNull(data, ScheduledMessageData.TokenId);
            MessageId = GuidOrNull(data, ScheduledMessageData.MessageId);
            CorrelationId = GuidOrNull(data, ScheduledMessageData.CorrelationId);
            ConversationId = GuidOrNull(data, ScheduledMessageData.ConversationId);
            InitiatorId = GuidOrNull(data, ScheduledMessageData.InitiatorId);
            RequestId = GuidOrNull(data, ScheduledMessageData.RequestId);
            SourceAddress = UriOrNull(data, ScheduledMessageData.SourceAddress);
            ResponseAddress = UriOrNull(data, ScheduledMessageData.ResponseAddress);
            FaultAddress = UriOrNull(data, ScheduledMessageData.FaultAddress);

            if (data.TryGetString(ScheduledMessageData.ExpirationTime, out var expiration) && !string.IsNullOrEmpty(expiration))
            {
                var expiresAt = DateTimeOffset.Parse(expiration, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                TimeToLive = expiresAt - timeProvider.GetUtcNow();
            }

            var headers = new DictionarySendHeaders();
            data.TryGetString(ScheduledMessageData.HeadersAsJson, out var headersJson);
            foreach (var (key, value) in ScheduledHeaders.FromJson(headersJson))
            {
                headers.Set(key, value);
            }

            headers.Set(MessageHeaders.Quartz.Sent, context.FireTimeUtc.ToString("O", CultureInfo.InvariantCulture));
            if (context.ScheduledFireTimeUtc is { } scheduled)
            {
                headers.Set(MessageHeaders.Quartz.Scheduled, scheduled.ToString("O", CultureInfo.InvariantCulture));
            }

            if (TokenId is { } token)
            {
                headers.Set(MessageHeaders.SchedulingTokenId, token.ToString("D"));
            }

            Headers = headers;
        }

        public string Body { get; }
        public ContentType ContentType { get; }
        public Guid? TokenId { get; }
        public Guid? MessageId { get; }
        public Guid? CorrelationId { get; }
        public Guid? ConversationId { get; }
        public Guid? InitiatorId { get; }
        public Guid? RequestId { get; }
        public Uri? SourceAddress { get; }
        public Uri? ResponseAddress { get; }
        public Uri? FaultAddress { get; }
        public TimeSpan? TimeToLive { get; }
        public DictionarySendHeaders Headers { get; }

        static Guid? GuidOrNull(JobDataMap data, string key) =>
            data.TryGetString(key, out var text) && Guid.TryParse(text, out var id) ? id : null;

        static Uri? UriOrNull(JobDataMap data, string key) =>
            data.TryGetString(key, out var text) && !string.IsNullOrEmpty(text) ? new Uri(text) : null;
    }

    sealed class ForwardEnvelopePipe(StoredEnvelope envelope, Uri destination) : IPipe<SendContext>
    {
        public Task Send(SendContext context)
        {
            var deserializer = context.Serialization.GetMessageDeserializer(envelope.ContentType);
            var serializerContext = deserializer.Deserialize(deserializer.GetMessageBody(envelope.Body), envelope.Headers, destination);

            if (envelope.MessageId.HasValue)
            {
                context.MessageId = envelope.MessageId;
            }

            context.CorrelationId = envelope.CorrelationId;
            context.ConversationId = envelope.ConversationId;
            context.InitiatorId = envelope.InitiatorId;
            context.RequestId = envelope.RequestId;
            context.SourceAddress = envelope.SourceAddress;
            context.ResponseAddress = envelope.ResponseAddress;
            context.FaultAddress = envelope.FaultAddress;
            if (envelope.TimeToLive.HasValue)
            {
                context.TimeToLive = envelope.TimeToLive;
            }

            foreach (var (key, value) in envelope.Headers.GetAll())
            {
                context.Headers.Set(key, value);
            }

            // Re-emits the stored envelope: the original message types and body, with this send's ids and headers.
            context.Serializer = serializerContext.GetMessageSerializer();
            return Task.CompletedTask;
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("forward-scheduled-message");
    }
}
