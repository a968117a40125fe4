using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Migration.Oma.Web.Api;

/// <summary>The API's wire format: snake_case like the VMA's, ISO-8601 timestamps, source-generated.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(JobPage))]
[JsonSerializable(typeof(JobDetail))]
[JsonSerializable(typeof(JobSummary))]
[JsonSerializable(typeof(IReadOnlyList<JobSummary>))]
[JsonSerializable(typeof(JobLogDocument))]
public sealed partial class OmaWebJsonContext : JsonSerializerContext
{
    /// <summary>
    /// This context for the host's shared JSON options (what typed results and the OpenAPI document use): those options'
    /// camelCase policy renames properties at run time, so this puts the snake_case names back on this API's types only.
    /// </summary>
    public static IJsonTypeInfoResolver SnakeCase => field ??= JsonTypeInfoResolver.WithAddedModifier(Default, info =>
    {
        if (info.Type.Assembly != typeof(OmaWebJsonContext).Assembly)
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            property.Name = JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
        }
    });
}
