namespace Migration.VmaAgent.Sources.VSphere;

/// <summary>Starts the VSphere source's start-up sweep of orphaned snapshots in the background (nothing for other sources).</summary>
internal sealed class OrphanedSnapshotCleanup(IReplicationSource source) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        (source is NbdExportedSource exported ? exported.Inner : source) is VSphereSource vsphere ? vsphere.RemoveOrphanedSnapshotsAsync(stoppingToken) : Task.CompletedTask;
}
