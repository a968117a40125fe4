using Migration.VmaAgent.VSphere;

namespace Migration.VmaAgent.Sources.VSphere;

/// <summary>
/// At start-up, removes (with consolidation) every <c>migration-*</c> snapshot of the inventory: what a VMA that died
/// mid-job left behind. This VMA resumes no job across a restart (the OMA starts an unknown job again, which takes a
/// new snapshot), so none of them belongs to a job that will carry on. A failure is a warning, never a failed start.
/// </summary>
internal sealed partial class OrphanedSnapshotSweep(VimApi api, ILogger logger)
{
    public const string SnapshotPrefix = "migration-";

    public async Task RunAsync(CancellationToken ct)
    {
        IReadOnlyList<(MoRef Vm, string Name, IReadOnlyList<VimSnapshot> Snapshots)> inventory;
        try
        {
            inventory = await api.ListAllSnapshotsAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogScanFailed(ex.Message);
            return;
        }

        var removed = 0;
        foreach (var (vm, vmName, snapshots) in inventory)
        {
            foreach (var orphan in snapshots.Where(s => s.Name.StartsWith(SnapshotPrefix, StringComparison.Ordinal)))
            {
                var jobId = orphan.Name[SnapshotPrefix.Length..];
                try
                {
                    await api.RemoveSnapshotAsync(orphan.Ref, ct);
                    removed++;
                    LogRemoved(orphan.Name, orphan.Ref.Value, jobId, vmName, vm.Value);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogRemoveFailed(orphan.Name, orphan.Ref.Value, jobId, vmName, vm.Value, ex.Message);
                }
            }
        }

        LogDone(inventory.Count, removed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start-up scan for orphaned migration-* snapshots failed, none removed (each job still removes its VM's before taking its own): {Error}")]
    private partial void LogScanFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed orphaned snapshot {SnapshotName} ({Snapshot}) of job {JobId} on VM {VmName} ({Moref}) left by an earlier VMA run (consolidated)")]
    private partial void LogRemoved(string snapshotName, string snapshot, string jobId, string vmName, string moref);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove orphaned snapshot {SnapshotName} ({Snapshot}) of job {JobId} on VM {VmName} ({Moref}); the next job on that VM tries again: {Error}")]
    private partial void LogRemoveFailed(string snapshotName, string snapshot, string jobId, string vmName, string moref, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Start-up scan for orphaned migration-* snapshots: {VmCount} VMs, {Removed} removed")]
    private partial void LogDone(int vmCount, int removed);
}
