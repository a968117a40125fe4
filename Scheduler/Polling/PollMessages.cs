using Migration.Contracts;
using Migration.Oma.Persistence;

namespace Migration.Scheduler.Polling;

/// <summary>
/// The messages one spread slot's polls go out as: with a batch size of 1, one <see cref="PollProgress"/> per job (as
/// ever); above it, the slot's jobs of each VMA in <see cref="PollProgressBatch"/>es of up to that many, a VMA with
/// one job in the slot still getting a plain <see cref="PollProgress"/> (one GET is the cheaper request).
/// </summary>
public sealed record PollMessages(IReadOnlyList<PollProgress> Polls, IReadOnlyList<PollProgressBatch> Batches)
{
    public static PollMessages Of(IReadOnlyList<DuePoll> slot, int batchSize, DateTimeOffset requestedAt, DateTimeOffset? claimedUntil)
    {
        PollProgress Single(DuePoll poll) =>
            new() { JobId = poll.JobId, VmaUrl = poll.VmaUrl, RequestedAt = requestedAt, ClaimedUntil = claimedUntil };

        if (batchSize <= 1)
        {
            return new PollMessages([.. slot.Select(Single)], []);
        }

        var polls = new List<PollProgress>();
        var batches = new List<PollProgressBatch>();
        foreach (var chunk in slot.GroupBy(poll => poll.VmaUrl, StringComparer.Ordinal).SelectMany(vma => vma.Chunk(batchSize)))
        {
            if (chunk.Length == 1)
            {
                polls.Add(Single(chunk[0]));
                continue;
            }

            batches.Add(new PollProgressBatch
            {
                VmaUrl = chunk[0].VmaUrl,
                RequestedAt = requestedAt,
                ClaimedUntil = claimedUntil,
                JobIds = [.. chunk.Select(poll => poll.JobId)],
            });
        }

        return new PollMessages(polls, batches);
    }
}
