namespace Migration.VmaAgent.Transfer;

/// <summary>How the engine moves one disk: request size, requests in flight (memory is their product), checkpoint cadence.</summary>
public sealed record TransferSettings(int RequestSize, int RequestsInFlight, TimeSpan CheckpointInterval)
{
    public static TransferSettings Default { get; } = new(256 * 1024, 16, TimeSpan.FromSeconds(5));

    /// <summary>
    /// After this many bytes written since the last flush, one flush starts in the background (the copy goes on):
    /// the target writes its cache out while the copy runs instead of all of it in the final flush. 0: only the
    /// checkpoints and the final flush. Default <see cref="DefaultFlushBehindBytes"/>.
    /// </summary>
    public long FlushBehindBytes { get; init; } = DefaultFlushBehindBytes;

    /// <summary>
    /// 64 MiB. On nbdkit's file plugin the final flush of a 1 GiB copy (fdatasync of what the page cache holds) took
    /// 0.45–0.86 s when nothing was flushed before, and the background flushes on the way did not slow the copy;
    /// a memory target flushes in 1–10 ms.
    /// </summary>
    public const long DefaultFlushBehindBytes = 64L << 20;
}

/// <summary>Called after a flush: every planned byte before <paramref name="DoneUpTo"/> is durable on the target.</summary>
public delegate ValueTask TransferCheckpoint(long DoneUpTo, CancellationToken cancellationToken);
