using Migration.Contracts.Vma;

namespace Migration.VmaAgent.Sources;

/// <summary>
/// Where a replication reads from: the built-in simulator or vCenter (vim25). The job runner only
/// speaks this interface, so adding vCenter means adding an implementation, not rewriting the runner.
/// </summary>
public interface IReplicationSource
{
    /// <summary>For logs and errors: "Simulated" or "VSphere".</summary>
    string Kind { get; }

    /// <summary>Null when no VM matches.</summary>
    ValueTask<SourceVm?> FindVmAsync(VmReference vm, CancellationToken cancellationToken);

    /// <summary>Turns CBT on when it is off; returns what was done, for the JobLog (null when nothing was).</summary>
    ValueTask<string?> EnableChangeTrackingAsync(SourceVm vm, CancellationToken cancellationToken);

    /// <summary>Whether an incremental from <paramref name="changeId"/> is possible for this disk; the reason when not.</summary>
    ValueTask<ChangeIdCheck> CheckChangeIdAsync(SourceVm vm, string diskId, string changeId, CancellationToken cancellationToken);

    /// <summary>Freezes every disk of the VM; disposing the snapshot removes it.</summary>
    ValueTask<ISourceSnapshot> CreateSnapshotAsync(SourceVm vm, string snapshotName, CancellationToken cancellationToken);
}

/// <summary>A frozen point of a VM's disks: what a transfer reads, whatever the VM writes meanwhile.</summary>
public interface ISourceSnapshot : IAsyncDisposable
{
    /// <summary>What creating the snapshot did besides (an orphaned snapshot removed, ...), for the JobLog.</summary>
    IReadOnlyList<string> Notes => [];

    /// <summary>The change id of this disk at the snapshot: the base of the next incremental.</summary>
    string ChangeIdOf(string diskId);

    /// <summary>
    /// Areas changed since <paramref name="changeId"/> up to this snapshot; <c>"*"</c> gives the allocated areas.
    /// Sorted, non-overlapping. <see cref="ChangedAreasResult.InvalidReason"/> is set when the change id cannot be used.
    /// </summary>
    ValueTask<ChangedAreasResult> QueryChangedAreasAsync(string diskId, string changeId, CancellationToken cancellationToken);

    ISourceDisk OpenDisk(string diskId);
}

/// <summary>Reads one disk at the snapshot.</summary>
public interface ISourceDisk
{
    string Id { get; }

    long CapacityBytes { get; }

    /// <summary>Reads must start and end on multiples of this (or at the end of the disk). 1 for in-process sources.</summary>
    int Alignment => 1;

    /// <summary>The largest single read.</summary>
    int MaxRequest => 64 << 20;

    /// <summary>May be called by several tasks at once, for different ranges.</summary>
    ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken);
}

public sealed record SourceVm(string Name, string Moref, string Uuid, IReadOnlyList<SourceDiskInfo> Disks);

public sealed record SourceDiskInfo(string Id, string Label, long CapacityBytes, int DeviceKey);

/// <summary>A byte range of a disk.</summary>
public readonly record struct DiskArea(long Offset, long Length)
{
    public long End => Offset + Length;
}

public sealed record ChangeIdCheck(bool Usable, string? Reason)
{
    public static readonly ChangeIdCheck Ok = new(true, null);

    public static ChangeIdCheck Unusable(string reason) => new(false, reason);
}

public sealed record ChangedAreasResult(IReadOnlyList<DiskArea> Areas, string? InvalidReason)
{
    public long TotalBytes => Areas.Sum(a => a.Length);

    public static ChangedAreasResult Invalid(string reason) => new([], reason);
}
