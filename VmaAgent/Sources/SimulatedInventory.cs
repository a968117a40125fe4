using System.Globalization;
using Microsoft.Extensions.Options;
using Migration.Contracts.Vma;
using Migration.VmaAgent.Configuration;

namespace Migration.VmaAgent.Sources;

/// <summary>
/// The built-in synthetic vCenter: VMs <c>demo-vm-1</c> … <c>demo-vm-N</c>, each with 1 to 3 disks of real,
/// deterministic bytes and a CBT journal. Tests, the CLI demo and the simulator endpoints write to it to
/// give the next incremental real changed areas.
/// </summary>
public sealed class SimulatedInventory
{
    private readonly Dictionary<string, SimulatedVm> _byName;

    public SimulatedInventory(IOptions<VmaOptions> options)
    {
        var sim = options.Value.Simulated;
        var vms = new List<SimulatedVm>(sim.VmCount);
        for (var number = 1; number <= sim.VmCount; number++)
        {
            var diskCount = ((number - 1) % 3) + 1;
            var disks = new List<SimulatedDisk>(diskCount);
            for (var index = 0; index < diskCount; index++)
            {
                disks.Add(new SimulatedDisk(
                    id: string.Create(CultureInfo.InvariantCulture, $"disk-{index}"),
                    label: index < sim.DiskLabels.Count ? sim.DiskLabels[index] : string.Create(CultureInfo.InvariantCulture, $"Hard disk {index + 1}"),
                    deviceKey: 2000 + index,
                    capacityBytes: sim.DiskSize.Bytes,
                    blockSize: sim.BlockSize.Bytes,
                    extentSize: sim.ExtentSize.Bytes,
                    allocatedPercent: sim.AllocatedPercent,
                    contentKey: SimulatedContent.Key(sim.Seed, number, index, 1),
                    cbtKey: SimulatedContent.Key(sim.Seed, number, index, 2)));
            }

            vms.Add(new SimulatedVm(
                Name: number <= sim.VmNames.Count ? sim.VmNames[number - 1] : string.Create(CultureInfo.InvariantCulture, $"demo-vm-{number}"),
                Moref: string.Create(CultureInfo.InvariantCulture, $"vm-{1000 + number}"),
                Uuid: SimulatedContent.GuidFrom(SimulatedContent.Key(sim.Seed, number, 3)).ToString("D"),
                Disks: disks));
        }

        Vms = vms;
        _byName = vms.ToDictionary(vm => vm.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<SimulatedVm> Vms { get; }

    public SimulatedVm? Find(VmReference reference) =>
        reference.Name is { } name ? _byName.GetValueOrDefault(name)
        : reference.Moref is { } moref ? Vms.FirstOrDefault(vm => vm.Moref == moref)
        : reference.Uuid is { } uuid ? Vms.FirstOrDefault(vm => string.Equals(vm.Uuid, uuid, StringComparison.OrdinalIgnoreCase))
        : null;

    public SimulatedVm GetVm(string vmName) =>
        _byName.GetValueOrDefault(vmName) ?? throw new KeyNotFoundException($"no simulated VM named '{vmName}'");

    public SimulatedDisk GetDisk(string vmName, string diskId) =>
        GetVm(vmName).Disks.FirstOrDefault(d => d.Id == diskId)
        ?? throw new KeyNotFoundException($"simulated VM '{vmName}' has no disk '{diskId}'");

    /// <summary>
    /// Writes new bytes into <paramref name="areasPerDisk"/> areas of every disk of the VM (each area rounded up to
    /// whole blocks; areas may overlap) and returns what changed, so the next incremental has real changed areas.
    /// </summary>
    public VmChange ChangeAreas(string vmName, int areasPerDisk = 4, long? areaBytes = null, long? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(areasPerDisk);
        var vm = GetVm(vmName);
        var changes = vm.Disks
            .Select(disk => disk.WriteAreas(areasPerDisk, areaBytes ?? disk.BlockSize, seed ?? disk.Current.Sequence + 1))
            .ToList();
        return new VmChange(vm.Name, changes);
    }

    /// <summary>Simulates a CBT reset on every disk of the VM: change ids handed out before stop being usable.</summary>
    public void ResetChangeTracking(string vmName)
    {
        foreach (var disk in GetVm(vmName).Disks)
        {
            disk.ResetChangeTracking();
        }
    }

    /// <summary>The disk's whole current content (capacity bytes; zeros where unallocated).</summary>
    public byte[] ReadDisk(string vmName, string diskId)
    {
        var state = GetDisk(vmName, diskId).Current;
        var content = new byte[state.CapacityBytes];
        state.Read(0, content);
        return content;
    }

    /// <summary>Reads the disk's current content in a byte range.</summary>
    public void ReadDisk(string vmName, string diskId, long offset, Span<byte> destination) =>
        GetDisk(vmName, diskId).Current.Read(offset, destination);
}

public sealed record SimulatedVm(string Name, string Moref, string Uuid, IReadOnlyList<SimulatedDisk> Disks)
{
    public SourceVm ToSourceVm() => new(Name, Moref, Uuid,
        [.. Disks.Select(d => new SourceDiskInfo(d.Id, d.Label, d.CapacityBytes, d.DeviceKey))]);
}

/// <summary>What <see cref="SimulatedInventory.ChangeAreas"/> wrote.</summary>
public sealed record VmChange(string VmName, IReadOnlyList<DiskChange> Disks)
{
    public long TotalBytes => Disks.Sum(d => d.Bytes);
}
