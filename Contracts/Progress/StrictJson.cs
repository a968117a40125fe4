using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;

namespace Migration.Contracts.Progress;

/// <summary>
/// How a document from the other side of the tunnel is read (start requests on the VMA, progress answers on the OMA):
/// the same wire format as <see cref="ProgressJsonContext"/>, but a duplicate key, an enum given as a number or a
/// padded word, or nesting deeper than <see cref="MaxDepth"/> is an error instead of a guess.
/// </summary>
public static class StrictJson
{
    /// <summary>Deepest nesting accepted; the documents are at most four levels deep.</summary>
    public const int MaxDepth = 16;

    public static readonly JsonSerializerOptions Options = Create();

    public static JsonTypeInfo<StartReplicationRequest> StartReplicationRequest { get; } =
        (JsonTypeInfo<StartReplicationRequest>)Options.GetTypeInfo(typeof(StartReplicationRequest));

    public static JsonTypeInfo<ProgressBatchRequest> ProgressBatchRequest { get; } =
        (JsonTypeInfo<ProgressBatchRequest>)Options.GetTypeInfo(typeof(ProgressBatchRequest));

    public static JsonTypeInfo<ReplicationProgress> ReplicationProgress { get; } =
        (JsonTypeInfo<ReplicationProgress>)Options.GetTypeInfo(typeof(ReplicationProgress));

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(ProgressJsonContext.Default.Options)
        {
            AllowDuplicateProperties = false,
            MaxDepth = MaxDepth,
        };
        options.Converters.Add(new StrictEnumConverter<SyncType>());
        options.Converters.Add(new StrictEnumConverter<ReplicationStage>());
        options.Converters.Add(new StrictEnumConverter<VmaJobStatus>());
        options.Converters.Add(new StrictEnumConverter<VmaDiskStatus>());
        options.MakeReadOnly();
        return options;
    }
}
