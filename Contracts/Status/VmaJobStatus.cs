using System.Text.Json.Serialization;

namespace Migration.Contracts.Status;

/// <summary>A job's status as the VMA reports it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VmaJobStatus>))]
public enum VmaJobStatus
{
    Queued,
    Preparing,
    Snapshotting,
    Streaming,
    Finalizing,
    Succeeded,
    Failed,
}
