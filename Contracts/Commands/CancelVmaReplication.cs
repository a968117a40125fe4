namespace Migration.Contracts;

/// <summary>Sent by the saga on cancel: ask the VMA to stop the job (best effort; the saga has already failed it).</summary>
public sealed record CancelVmaReplication
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public string VmaUrl { get; init; } = "";
}
