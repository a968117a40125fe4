using System.Text.Json.Serialization;

namespace Migration.Contracts.Status;

/// <summary>A disk's status as the VMA reports it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VmaDiskStatus>))]
public enum VmaDiskStatus
{
    Queued,
    Snapshotting,
    Streaming,
    Completed,
    Failed,
}
