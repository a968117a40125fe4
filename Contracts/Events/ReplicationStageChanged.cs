using Migration.Contracts.Status;

namespace Migration.Contracts;

public sealed record ReplicationStageChanged
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public ReplicationStage? PreviousStage { get; init; }

    public ReplicationStage Stage { get; init; }

    /// <summary>The database status (the seed's mapping).</summary>
    public string Status { get; init; } = "";

    public DateTimeOffset ChangedAt { get; init; }
}
