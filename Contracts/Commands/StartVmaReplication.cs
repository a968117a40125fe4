using Migration.Contracts.Status;
using Migration.Contracts.Vma;

namespace Migration.Contracts;

/// <summary>Sent by the saga: call the VMA's start endpoint (idempotent on the job id, so it may be sent again).</summary>
public sealed record StartVmaReplication
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public string VmaUrl { get; init; } = "";

    public required VmReference Vm { get; init; }

    public SyncType SyncType { get; init; }

    /// <summary>The change ids the OMA holds for this VM's disks (supplied by the OMA, never by the integrator).</summary>
    public IReadOnlyDictionary<string, string> PreviousChangeIds { get; init; } = new Dictionary<string, string>();

    public ReplicationTarget? Target { get; init; }
}
