using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// How the bytes of a snapshot's disk are read. Two readers: the datastore file service (<see cref="DatastoreFileReader"/>:
/// HTTP range reads with the session cookie; the default, and what the simulator serves) and an nbdkit export of the
/// snapshot's disk (<see cref="NbdSnapshotDiskReader"/>: the vddk plugin in production, VmaAgent/README.md).
/// </summary>
public interface ISnapshotDiskReader
{
    string Kind { get; }

    /// <summary>Opens the disk for the job that holds the snapshot; a disk that is <see cref="IAsyncDisposable"/> is disposed before the snapshot is removed.</summary>
    ValueTask<ISourceDisk> OpenAsync(string diskId, SnapshotDiskLocation location, CancellationToken cancellationToken);
}

/// <summary>Where a snapshot's disk lives: what either reader needs to open it.</summary>
public sealed record SnapshotDiskLocation(
    string VmMoref, string SnapshotMoref, string FileName, string DatacenterPath, string DatastoreName, long CapacityBytes);
