using System.Text.Json;
using System.Text.Json.Serialization;

namespace Migration.Contracts.Progress;

/// <summary>
/// Reads an enum only from its exact wire word (<c>"full"</c>), never from a number (<c>1</c>, <c>"1"</c>), another
/// case or padding (<c>" full"</c>), which the standard converter accepts; writes the same words.
/// </summary>
public sealed class StrictEnumConverter<TEnum> : JsonConverter<TEnum> where TEnum : struct, Enum
{
    private readonly JsonConverter<TEnum> _words = new JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
        .CreateConverter(typeof(TEnum), JsonSerializerOptions.Default) as JsonConverter<TEnum>
        ?? throw new InvalidOperationException($"no string converter for {typeof(TEnum).Name}");

    private readonly Dictionary<string, TEnum> _byWord;

    public StrictEnumConverter()
    {
        var options = new JsonSerializerOptions { Converters = { _words } };
        _byWord = Enum.GetValues<TEnum>().ToDictionary(v => JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(v, options))!, StringComparer.Ordinal);
    }

    /// <summary>The accepted words, for error messages.</summary>
    public IReadOnlyCollection<string> Words => _byWord.Keys;

    public override TEnum Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } word && _byWord.TryGetValue(word, out var value))
        {
            return value;
        }

        throw new JsonException($"must be one of {string.Join(", ", _byWord.Keys)}");
    }

    public override void Write(Utf8JsonWriter writer, TEnum value, JsonSerializerOptions options) => _words.Write(writer, value, options);
}
