namespace Migration.Contracts;

/// <summary>A poll did not get a progress document: timeout, connection error, 5xx, or 404 for a job the VMA should know.</summary>
public sealed record ProgressPollFailed
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public DateTimeOffset FailedAt { get; init; }

    /// <summary>When the sweep asked for this poll; the backoff counts from it (from <see cref="FailedAt"/> when null).</summary>
    public DateTimeOffset? RequestedAt { get; init; }

    public string Reason { get; init; } = "";

    public int? HttpStatus { get; init; }

    /// <summary>The VMA answered 404: it has lost the job (restarted) and must be sent the start request again.</summary>
    public bool JobUnknownToVma { get; init; }
}
