using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;

namespace Migration.Cli.Commands;

/// <summary>Compares each simulated disk with its image under the file target, byte for byte.</summary>
public static class TargetCheck
{
    public static IEnumerable<string> Compare(SimulatedInventory inventory, string targetDirectory, IEnumerable<string> vms)
    {
        foreach (var vm in vms)
        {
            foreach (var disk in inventory.GetVm(vm).Disks)
            {
                var path = TargetFileName.DefaultImage(targetDirectory, vm, disk.Id);
                if (!File.Exists(path))
                {
                    yield return $"{vm}/{disk.Id}: no target image at {path}";
                    continue;
                }

                var source = inventory.ReadDisk(vm, disk.Id);
                var target = File.ReadAllBytes(path);
                if (!source.AsSpan().SequenceEqual(target))
                {
                    var first = Enumerable.Range(0, Math.Min(source.Length, target.Length)).FirstOrDefault(i => source[i] != target[i]);
                    yield return $"{vm}/{disk.Id}: target image differs from the source (sizes {target.Length}/{source.Length}, first difference at byte {first})";
                }
            }
        }
    }
}
