using global::Quartz;

namespace Migration.Scheduler.Messages;

/// <summary>
/// Names of the string values a scheduled message's trigger carries, and the keys of the one durable job that
/// sends them.
/// </summary>
public static class ScheduledMessageData
{
    public static readonly JobKey JobKey = new("scheduled-message", "masstransit");

    public const string TriggerGroup = "masstransit-scheduled";

    public const string Destination = "Destination";
    public const string Body = "Body";
    public const string ContentType = "ContentType";
    public const string MessageId = "MessageId";
    public const string CorrelationId = "CorrelationId";
    public const string ConversationId = "ConversationId";
    public const string InitiatorId = "InitiatorId";
    public const string RequestId = "RequestId";
    public const string SourceAddress = "SourceAddress";
    public const string ResponseAddress = "ResponseAddress";
    public const string FaultAddress = "FaultAddress";
    public const string ExpirationTime = "ExpirationTime";
    public const string TokenId = "TokenId";
    public const string HeadersAsJson = "HeadersAsJson";

    /// <summary>One trigger per scheduling token: scheduling the same token again replaces it, cancelling removes it.</summary>
    public static TriggerKey TriggerKeyFor(Guid tokenId) => new(tokenId.ToString("N"), TriggerGroup);
}
