namespace Migration.Contracts;

/// <summary>Scheduled by the saga: fires when no successful VMA contact may have happened for the contact timeout.</summary>
public sealed record ContactTimeout
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;
}
