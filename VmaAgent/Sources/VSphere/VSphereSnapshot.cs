using Migration.VmaAgent.VSphere;

namespace Migration.VmaAgent.Sources.VSphere;

internal sealed record VSphereSnapshotDisk(int DeviceKey, string ChangeId, SnapshotDiskLocation Location);

/// <summary>The job's vCenter snapshot: change ids at it, CBT areas against it, its disks to read; disposing removes it (with consolidation).</summary>
internal sealed partial class VSphereSnapshot(
    VimApi api,
    ISnapshotDiskReader reader,
    MoRef vm,
    MoRef snapshot,
    IReadOnlyDictionary<string, VSphereSnapshotDisk> disks,
    IReadOnlyList<string> notes,
    TimeSpan removeTimeout,
    ILogger logger) : ISourceSnapshot
{
    private int _removed;

    public IReadOnlyList<string> Notes => notes;

    public string ChangeIdOf(string diskId) => Disk(diskId).ChangeId;

    public async ValueTask<ChangedAreasResult> QueryChangedAreasAsync(string diskId, string changeId, CancellationToken cancellationToken)
    {
        var disk = Disk(diskId);
        try
        {
            var areas = await ChangedAreaPager.ReadAllAsync(disk.Location.CapacityBytes,
                (offset, ct) => api.QueryChangedDiskAreasAsync(vm, snapshot, disk.DeviceKey, offset, changeId, ct), cancellationToken);
            return new ChangedAreasResult(areas, null);
        }
        catch (Exception ex) when (changeId != "*" && ex is FileFaultException or InvalidArgumentException)
        {
            var key = ex is VimFaultException { Detail.FaultMessageKey: { } k } ? $" [{k}]" : "";
            return ChangedAreasResult.Invalid($"vCenter cannot give the changes since {changeId}: {((VimFaultException)ex).FaultString}{key}");
        }
    }

    public ISourceDisk OpenDisk(string diskId) => reader.Open(diskId, Disk(diskId).Location);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _removed, 1) == 1)
        {
            return;
        }

        // Also after a failure or cancellation: the job's token may be cancelled already, so removal has its own bound.
        using var timeout = new CancellationTokenSource(removeTimeout);
        await api.RemoveSnapshotAsync(snapshot, timeout.Token);
        LogRemoved(snapshot.Value, vm.Value);
    }

    private VSphereSnapshotDisk Disk(string diskId) =>
        disks.GetValueOrDefault(diskId) ?? throw new KeyNotFoundException($"snapshot {snapshot} has no disk '{diskId}'");

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed snapshot {Snapshot} of VM {Moref} (consolidated)")]
    private partial void LogRemoved(string snapshot, string moref);
}
