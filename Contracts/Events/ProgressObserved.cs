using Migration.Contracts.Progress;

namespace Migration.Contracts;

/// <summary>A poll got the VMA's progress document.</summary>
public sealed record ProgressObserved
{
    public string JobId { get; init; } = "";

    public Guid CorrelationId => JobIdentity.IsValid(JobId) ? JobIdentity.ToCorrelationId(JobId) : Guid.Empty;

    public required ReplicationProgress Progress { get; init; }

    /// <summary>When the VMA's answer arrived (the OMA's clock): this is a successful contact.</summary>
    public DateTimeOffset ObservedAt { get; init; }

    /// <summary>
    /// When the sweep asked for this poll (<see cref="PollProgress.RequestedAt"/>): the next poll is due one interval
    /// after it, on the sweep's own beat. Null from a sender that does not know it; then <see cref="ObservedAt"/> is used.
    /// </summary>
    public DateTimeOffset? RequestedAt { get; init; }
}
