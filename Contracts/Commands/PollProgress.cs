namespace Migration.Contracts;

/// <summary>Published by the scheduler's sweep for each active job that is due: ask the VMA for its progress once.</summary>
public sealed record PollProgress
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public string VmaUrl { get; init; } = "";

    /// <summary>When the sweep asked; a poll that waited in a queue longer than the stale limit is dropped, not burst.</summary>
    public DateTimeOffset RequestedAt { get; init; }

    /// <summary>
    /// The sweep's claim on the job (no other poll of it starts before this, anywhere); the worker releases it when the
    /// poll is done. Null for polls sent without the database (an outage).
    /// </summary>
    public DateTimeOffset? ClaimedUntil { get; init; }
}
