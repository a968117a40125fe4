using Migration.Contracts.Vma;

namespace Migration.VmaAgent.Sources;

/// <summary><see cref="IReplicationSource"/> over the <see cref="SimulatedInventory"/>, read at the pace of <see cref="SimulatedReadPace"/> when one is given.</summary>
public sealed class SimulatedSource(SimulatedInventory inventory, SimulatedReadPace? pace = null) : IReplicationSource
{
    public string Kind => "Simulated";

    public ValueTask<SourceVm?> FindVmAsync(VmReference vm, CancellationToken cancellationToken) =>
        ValueTask.FromResult(inventory.Find(vm)?.ToSourceVm());

    public ValueTask<string?> EnableChangeTrackingAsync(SourceVm vm, CancellationToken cancellationToken)
    {
        foreach (var disk in inventory.GetVm(vm.Name).Disks)
        {
            disk.EnableChangeTracking();
        }

        return ValueTask.FromResult<string?>(null);
    }

    public ValueTask<ChangeIdCheck> CheckChangeIdAsync(SourceVm vm, string diskId, string changeId, CancellationToken cancellationToken)
    {
        var reason = inventory.GetDisk(vm.Name, diskId).Current.CheckChangeId(changeId);
        return ValueTask.FromResult(reason is null ? ChangeIdCheck.Ok : ChangeIdCheck.Unusable(reason));
    }

    public ValueTask<ISourceSnapshot> CreateSnapshotAsync(SourceVm vm, string snapshotName, CancellationToken cancellationToken)
    {
        var frozen = inventory.GetVm(vm.Name).Disks.ToDictionary(d => d.Id, d => d.Current, StringComparer.Ordinal);
        return ValueTask.FromResult<ISourceSnapshot>(new Snapshot(frozen, pace));
    }

    private sealed class Snapshot(IReadOnlyDictionary<string, SimulatedDiskState> disks, SimulatedReadPace? pace) : ISourceSnapshot
    {
        public string ChangeIdOf(string diskId) => State(diskId).ChangeId;

        public ValueTask<ChangedAreasResult> QueryChangedAreasAsync(string diskId, string changeId, CancellationToken cancellationToken) =>
            ValueTask.FromResult(State(diskId).ChangedAreas(changeId));

        public ISourceDisk OpenDisk(string diskId) => new FrozenDisk(diskId, State(diskId), pace);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private SimulatedDiskState State(string diskId) =>
            disks.GetValueOrDefault(diskId) ?? throw new KeyNotFoundException($"the snapshot has no disk '{diskId}'");
    }

    private sealed class FrozenDisk(string id, SimulatedDiskState state, SimulatedReadPace? pace) : ISourceDisk
    {
        public string Id => id;

        public long CapacityBytes => state.CapacityBytes;

        public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            state.Read(offset, buffer.Span);
            return pace is null || pace.BytesPerSecond == 0 ? ValueTask.CompletedTask : pace.WaitAsync(buffer.Length, cancellationToken);
        }
    }
}
