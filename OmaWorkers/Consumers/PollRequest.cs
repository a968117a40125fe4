using Migration.Contracts;

namespace Migration.OmaWorkers.Consumers;

/// <summary>What one poll message asks, whichever its kind: the progress of these jobs of one VMA, under one claim.</summary>
public sealed record PollRequest(string VmaUrl, DateTimeOffset RequestedAt, DateTimeOffset? ClaimedUntil, IReadOnlyList<string> JobIds)
{
    public static PollRequest Of(PollProgress poll) => new(poll.VmaUrl, poll.RequestedAt, poll.ClaimedUntil, [poll.JobId]);

    public static PollRequest Of(PollProgressBatch batch) => new(batch.VmaUrl, batch.RequestedAt, batch.ClaimedUntil, batch.JobIds ?? []);
}
