namespace Migration.VmaAgent.Transfer;

/// <summary>How the engine moves one disk: request size, requests in flight (memory is their product), checkpoint cadence.</summary>
public sealed record TransferSettings(int RequestSize, int RequestsInFlight, TimeSpan CheckpointInterval)
{
    public static TransferSettings Default { get; } = new(256 * 1024, 16, TimeSpan.FromSeconds(5));
}

/// <summary>Called after a flush: every planned byte before <paramref name="DoneUpTo"/> is durable on the target.</summary>
public delegate ValueTask TransferCheckpoint(long DoneUpTo, CancellationToken cancellationToken);
