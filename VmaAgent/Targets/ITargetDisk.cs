namespace Migration.VmaAgent.Targets;

/// <summary>
/// Where one disk's bytes land: a file image today, an NBD export later. The transfer engine only writes
/// through this interface.
/// </summary>
public interface ITargetDisk : IAsyncDisposable
{
    /// <summary>What the progress document shows as the export's device (a path or a URI).</summary>
    string Device { get; }

    /// <summary>True when every byte not written reads as zero (a freshly created sparse image), so a full sync may skip the gaps.</summary>
    bool StartsZeroed { get; }

    /// <summary>The export name when the target is an NBD export; null for a file (the job names it).</summary>
    string? ExportName => null;

    /// <summary>Writes must start and end on multiples of this (or at the end of the disk).</summary>
    int Alignment => 1;

    /// <summary>The largest single write.</summary>
    int MaxRequest => 64 << 20;

    /// <summary>
    /// Changes whenever the target's connection was replaced (a server that crashed and came back): writes it
    /// acknowledged before that and that no flush covered may be lost. Always 0 for a local file.
    /// </summary>
    long Generation => 0;

    /// <summary>May be called by several tasks at once, for different ranges.</summary>
    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken);

    ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The job is suspended, not ended (a graceful VMA stop): closing keeps what was written, so the next start
    /// resumes into it. An export is written in place: nothing to keep.
    /// </summary>
    void KeepForResume()
    {
    }

    /// <summary>Makes the written image the disk's image (after a successful flush).</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}

/// <summary>Opens targets by URI; one implementation per scheme.</summary>
public interface ITargetProvider
{
    /// <summary>URI schemes handled, e.g. "file".</summary>
    IReadOnlyCollection<string> Schemes { get; }

    /// <summary>Whether an incremental can be applied: the target already holds an image of this capacity.</summary>
    ValueTask<string?> CheckIncrementalBaseAsync(Uri uri, long capacityBytes, CancellationToken cancellationToken);

    /// <summary>Opens the target; for a full sync the result starts from an image of zeros of the disk's capacity.</summary>
    ValueTask<ITargetDisk> OpenAsync(Uri uri, long capacityBytes, bool fullSync, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the target a job wrote into before the VMA restarted, as it is (nothing is cleared), to go on from a
    /// journaled offset; null when that image is gone. <paramref name="zeroedAtStart"/>: the target read as zeros when
    /// the job first opened it (what the job has not written still does). Default: the target opened as for an incremental.
    /// </summary>
    async ValueTask<ITargetDisk?> ReopenAsync(Uri uri, long capacityBytes, bool fullSync, bool zeroedAtStart, CancellationToken cancellationToken) =>
        await OpenAsync(uri, capacityBytes, fullSync: false, cancellationToken);
}
