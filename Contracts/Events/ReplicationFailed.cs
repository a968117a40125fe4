namespace Migration.Contracts;

public sealed record ReplicationFailed
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public DateTimeOffset FailedAt { get; init; }

    public string Error { get; init; } = "";
}
