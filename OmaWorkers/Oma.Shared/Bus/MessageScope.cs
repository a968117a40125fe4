using System.Collections;
using System.Globalization;

namespace Migration.Oma.Bus;

/// <summary>
/// The log scope of one consumed message: its fields for structured sinks (the JSON console lists them), and
/// <c>JobId:… CorrelationId:… MessageType:…</c> for the plain console (a dictionary would print as its type name).
/// </summary>
public sealed class MessageScope(string? jobId, Guid? correlationId, string messageType) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("JobId", jobId),
        1 => new("CorrelationId", correlationId),
        2 => new("MessageType", messageType),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"JobId:{jobId} CorrelationId:{correlationId} MessageType:{messageType}");
}
