namespace Migration.Contracts;

public sealed record ReplicationCompleted
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public DateTimeOffset CompletedAt { get; init; }

    /// <summary>"full" or "incremental".</summary>
    public string SyncType { get; init; } = "";

    public long BytesTransferred { get; init; }

    /// <summary>The new CBT change id per disk id: the base of the next incremental.</summary>
    public IReadOnlyDictionary<string, string> ChangeIds { get; init; } = new Dictionary<string, string>();
}
