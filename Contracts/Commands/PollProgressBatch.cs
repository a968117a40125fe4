namespace Migration.Contracts;

/// <summary>
/// Published by the scheduler's sweep, when <c>Tracking:PollBatchSize</c> is above 1, for the due jobs of one VMA:
/// ask that VMA for all their progress documents in one request (<c>POST /api/v1/progress/batch</c>). Each job's
/// answer is reported as its own <see cref="ProgressObserved"/> or <see cref="ProgressPollFailed"/>, exactly as a
/// <see cref="PollProgress"/> of it would be.
/// </summary>
public sealed record PollProgressBatch
{
    public string VmaUrl { get; init; } = "";

    /// <summary>When the sweep asked (<see cref="PollProgress.RequestedAt"/>); the same for every job of the batch.</summary>
    public DateTimeOffset RequestedAt { get; init; }

    /// <summary>The sweep's claim on every job of the batch (<see cref="PollProgress.ClaimedUntil"/>); null without the database.</summary>
    public DateTimeOffset? ClaimedUntil { get; init; }

    public IReadOnlyList<string> JobIds { get; init; } = [];
}
