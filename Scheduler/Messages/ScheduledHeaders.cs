using System.Globalization;
using System.Text.Json;

namespace Migration.Scheduler.Messages;

/// <summary>
/// The headers of a scheduled message, kept as one JSON object of strings: every transport accepts string
/// headers, and MassTransit reads typed values (the scheduling token's Guid, times) back from strings.
/// </summary>
public static class ScheduledHeaders
{
    public static string? ToJson(IEnumerable<KeyValuePair<string, object>> headers)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in headers)
        {
            var text = value switch
            {
                null => null,
                string s => s,
                DateTime d => d.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };

            if (text is not null)
            {
                values[key] = text;
            }
        }

        return values.Count == 0 ? null : JsonSerializer.Serialize(values);
    }

    public static IReadOnlyDictionary<string, string> FromJson(string? json) =>
        string.IsNullOrEmpty(json)
            ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? new Dictionary<string, string>();
}
