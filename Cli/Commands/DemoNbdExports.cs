using Migration.Contracts.Vma;
using Migration.VmaAgent.Nbd;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;

namespace Migration.Cli.Commands;

/// <summary>
/// <c>demo --nbd</c>: one nbdkit export per target disk (the file plugin over <c>data/targets/&lt;vm&gt;/&lt;disk&gt;.img</c>,
/// on a unix socket in a temporary directory); the jobs name them as their targets, so every byte reaches its image
/// through NBD, and the images are then compared with the sources as in the plain demo.
/// </summary>
public sealed class DemoNbdExports : IAsyncDisposable
{
    private readonly List<NbdkitProcess> _servers = [];
    private readonly Dictionary<string, ReplicationTarget> _targets = new(StringComparer.Ordinal);
    private string? _socketDirectory;

    public static async Task<DemoNbdExports> StartAsync(SimulatedInventory inventory, string targetDirectory, CancellationToken cancellationToken)
    {
        var exports = new DemoNbdExports();
        // Unix socket paths are limited to 107 bytes, so the sockets live in a short temporary directory.
        var sockets = Path.Combine(Path.GetTempPath(), "demo-nbd-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(sockets);
        exports._socketDirectory = sockets;
        try
        {
            foreach (var vm in inventory.Vms)
            {
                var disks = new Dictionary<string, TargetDisk>(StringComparer.Ordinal);
                foreach (var disk in vm.Disks)
                {
                    var image = TargetFileName.DefaultImage(targetDirectory, vm.Name, disk.Id);
                    Directory.CreateDirectory(Path.GetDirectoryName(image)!);
                    await using (var file = File.Create(image))
                    {
                        file.SetLength(disk.CapacityBytes);
                    }

                    var server = await NbdkitProcess.StartAsync("nbdkit", Path.Combine(sockets, $"{vm.Name}-{disk.Id}.sock"),
                        ["file", "file=" + image], TimeSpan.FromSeconds(15), cancellationToken);
                    exports._servers.Add(server);
                    disks[disk.Id] = new TargetDisk { Uri = server.Uri.ToString() };
                }

                exports._targets[vm.Name] = new ReplicationTarget { Disks = disks };
            }

            return exports;
        }
        catch
        {
            await exports.DisposeAsync();
            throw;
        }
    }

    public int Count => _servers.Count;

    public ReplicationTarget TargetOf(string vm) => _targets[vm];

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        if (_socketDirectory is not null && Directory.Exists(_socketDirectory))
        {
            Directory.Delete(_socketDirectory, recursive: true);
        }
    }
}
