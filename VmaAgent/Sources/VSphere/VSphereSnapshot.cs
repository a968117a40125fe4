using Migration.VmaAgent.VSphere;

namespace Migration.VmaAgent.Sources.VSphere;

internal sealed record VSphereSnapshotDisk(int DeviceKey, string ChangeId, SnapshotDiskLocation Location);

/// <summary>The job's vCenter snapshot: change ids at it, CBT areas against it, its disks to read; disposing removes it (with consolidation).</summary>
internal sealed partial class VSphereSnapshot(
    VimApi api,
    string jobId,
    MoRef vm,
    MoRef snapshot,
    IReadOnlyDictionary<string, VSphereSnapshotDisk> disks,
    IReadOnlyDictionary<string, ISourceDisk> opened,
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

    public ISourceDisk OpenDisk(string diskId) =>
        opened.GetValueOrDefault(diskId) ?? throw new KeyNotFoundException($"snapshot {snapshot} has no disk '{diskId}'");

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _removed, 1) == 1)
        {
            return;
        }

        // A disk reader holds the snapshot's disk open (nbdkit's vddk plugin): it goes first, or vCenter cannot consolidate.
        await CloseDisksAsync(opened.Values, logger);

        // Also after a failure or cancellation: the job's token may be cancelled already, so removal has its own bound.
        using var timeout = new CancellationTokenSource(removeTimeout);
        await api.RemoveSnapshotAsync(snapshot, timeout.Token, p => LogRemovalProgress(p.Task, snapshot.Value, jobId, p.Percent));
        LogRemoved(snapshot.Value, vm.Value);
    }

    /// <summary>Closes every opened disk that holds something (an nbdkit process); one that fails to close does not keep the others open.</summary>
    public static async Task CloseDisksAsync(IEnumerable<ISourceDisk> disks, ILogger logger)
    {
        foreach (var disk in disks.OfType<IAsyncDisposable>())
        {
            try
            {
                await disk.DisposeAsync();
            }
            catch (Exception ex)
            {
                LogCloseFailed(logger, ex, ((ISourceDisk)disk).Id);
            }
        }
    }

    private VSphereSnapshotDisk Disk(string diskId) =>
        disks.GetValueOrDefault(diskId) ?? throw new KeyNotFoundException($"snapshot {snapshot} has no disk '{diskId}'");

    [LoggerMessage(Level = LogLevel.Information, Message = "vCenter task RemoveSnapshot_Task ({Task}) of snapshot {Snapshot} for job {JobId}: {Percent} %")]
    private partial void LogRemovalProgress(string task, string snapshot, string jobId, int percent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the reader of snapshot disk {DiskId} failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string diskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed snapshot {Snapshot} of VM {Moref} (consolidated)")]
    private partial void LogRemoved(string snapshot, string moref);
}
