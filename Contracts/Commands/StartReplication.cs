using System.Text.Json.Serialization;
using Migration.Contracts.Status;
using Migration.Contracts.Vma;

namespace Migration.Contracts;

/// <summary>
/// The integration point: any system publishes this to start (or, with the same job id, to re-assert) a replication.
/// </summary>
/// <remarks>
/// An unknown field is an error, not a silently dropped wish: <c>"sync_type": "incremental"</c> (the VMA API's
/// spelling) would otherwise run the default <c>auto</c>, and the command ends in <c>_error</c> instead.
/// </remarks>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record StartReplication
{
    /// <summary>The integrator's job id: required, the idempotency key.</summary>
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    /// <summary>The VMA's base URL, e.g. <c>https://vma-site-a:443</c>.</summary>
    public string VmaUrl { get; init; } = "";

    public VmReference? Vm { get; init; }

    public SyncType SyncType { get; init; } = SyncType.Auto;

    /// <summary>Optional; left out, the VMA's default target is used.</summary>
    public ReplicationTarget? Target { get; init; }
}
