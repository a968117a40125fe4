using Migration.Contracts.Logging;

namespace Migration.Oma.Bus;

/// <summary>The log scope of one consumed message: <c>JobId:… CorrelationId:… MessageType:…</c>.</summary>
public sealed class MessageScope(string? jobId, Guid? correlationId, string messageType) : LogScopeFields
{
    public override int Count => 3;

    public override KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("JobId", jobId),
        1 => new("CorrelationId", correlationId),
        2 => new("MessageType", messageType),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };
}
