using System.Text.Json.Serialization;
using Migration.Contracts.Status;

namespace Migration.Contracts.Vma;

/// <summary>Body of <c>POST /api/v1/replications</c> (snake_case on the wire, see <see cref="Progress.ProgressJsonContext"/>).</summary>
/// <remarks>Unknown fields are rejected: a typo must not silently start a different job.</remarks>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record StartReplicationRequest
{
    public string? JobId { get; init; }

    public VmReference? Vm { get; init; }

    public SyncType SyncType { get; init; } = SyncType.Auto;

    /// <summary>Change id per disk id from the last successful sync (the OMA's records).</summary>
    public IReadOnlyDictionary<string, string>? PreviousChangeIds { get; init; }

    /// <summary>Left out: the VMA's configured default target.</summary>
    public ReplicationTarget? Target { get; init; }

    /// <summary>Bytes per second this job may move, all disks together; left out: the VMA's <c>Vma:Jobs:ThroughputCapPerJob</c>.</summary>
    public long? BandwidthLimitBps { get; init; }
}
