using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// How the bytes of a snapshot's disk are read. Two readers exist: the datastore file service (HTTP range reads with
/// the session cookie; the default, and what the simulator serves) and an NBD export of the snapshot's disk made by
/// nbdkit's vddk plugin (production; its command line is in VmaAgent/README.md, its client comes with the NBD path).
/// </summary>
public interface ISnapshotDiskReader
{
    string Kind { get; }

    ISourceDisk Open(string diskId, SnapshotDiskLocation location);
}

/// <summary>Where a snapshot's disk lives: what either reader needs to open it.</summary>
public sealed record SnapshotDiskLocation(
    string VmMoref, string SnapshotMoref, string FileName, string DatacenterPath, string DatastoreName, long CapacityBytes);
