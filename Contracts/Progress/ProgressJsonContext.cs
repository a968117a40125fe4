using System.Text.Json.Serialization;
using Migration.Contracts.Vma;

namespace Migration.Contracts.Progress;

/// <summary>The VMA API's wire format: snake_case, source-generated, ISO-8601 timestamps.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.Unspecified,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ReplicationProgress))]
[JsonSerializable(typeof(StartReplicationRequest))]
[JsonSerializable(typeof(ProgressBatchRequest))]
public sealed partial class ProgressJsonContext : JsonSerializerContext;
