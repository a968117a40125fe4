using Migration.Contracts;

namespace Migration.OmaWorkers.Saga;

/// <summary>What the job row says about a message: the named conditions the state machine branches on.</summary>
public static class JobFacts
{
    /// <summary>The observation is a redelivery, or a later one was applied already.</summary>
    public static bool HasSeen(this ReplicationState job, ProgressObserved observed) =>
        job.LastContactAt is { } lastContact && observed.ObservedAt <= lastContact;

    /// <summary>The VMA's document is older than one already applied (answers overtook each other).</summary>
    public static bool IsOlderThanApplied(this ReplicationState job, ProgressObserved observed) =>
        job.LastVmaUpdateAt is { } applied && observed.Progress.UpdatedAt < applied;

    /// <summary>A successful contact came after this failed poll.</summary>
    public static bool HasContactSince(this ReplicationState job, ProgressPollFailed failed) =>
        job.LastContactAt is { } lastContact && failed.FailedAt <= lastContact;

    /// <summary>This failed poll, or a later one, is counted already (a redelivered failure).</summary>
    public static bool HasCounted(this ReplicationState job, ProgressPollFailed failed) =>
        job.LastPollFailedAt is { } counted && failed.FailedAt <= counted;

    /// <summary>
    /// The VMA does not know a job it has never answered for, within <paramref name="startGrace"/> of the start: the
    /// start request is likely still on its way (queued behind others, or in its HTTP retries), not lost in a restart.
    /// </summary>
    public static bool MayStillBeStarting(this ReplicationState job, ProgressPollFailed failed, TimeSpan startGrace) =>
        failed.JobUnknownToVma && job.LastContactAt is null && failed.FailedAt < job.CreatedAt + startGrace;

    /// <summary>When the job fails for want of contact.</summary>
    public static DateTimeOffset ContactDeadline(this ReplicationState job, TimeSpan contactTimeout) =>
        (job.LastContactAt ?? job.CreatedAt) + contactTimeout;
}
