namespace Migration.Contracts;

/// <summary>Stop a running replication; the job ends failed with an error saying it was cancelled.</summary>
public sealed record CancelReplication
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public string? Reason { get; init; }
}
