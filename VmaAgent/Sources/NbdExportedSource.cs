using Migration.Contracts.Vma;
using Migration.VmaAgent.Nbd;

namespace Migration.VmaAgent.Sources;

/// <summary>
/// Any source, read over NBD: each snapshot disk is materialised into a sparse image (its allocated areas only),
/// served read-only by an nbdkit process of its own and read back through our NBD client. In production the same
/// place is taken by nbdkit's vddk plugin reading the ESXi snapshot directly (VmaAgent/README.md).
/// </summary>
public sealed class NbdExportedSource(IReplicationSource inner, NbdSourceExportOptions exports, NbdClientOptions client, TimeProvider time)
    : IReplicationSource
{
    public string Kind => inner.Kind + " over NBD";

    public ValueTask<SourceVm?> FindVmAsync(VmReference vm, CancellationToken cancellationToken) => inner.FindVmAsync(vm, cancellationToken);

    public ValueTask<string?> EnableChangeTrackingAsync(SourceVm vm, CancellationToken cancellationToken) => inner.EnableChangeTrackingAsync(vm, cancellationToken);

    public ValueTask<ChangeIdCheck> CheckChangeIdAsync(SourceVm vm, string diskId, string changeId, CancellationToken cancellationToken) =>
        inner.CheckChangeIdAsync(vm, diskId, changeId, cancellationToken);

    public async ValueTask<ISourceSnapshot> CreateSnapshotAsync(SourceVm vm, string snapshotName, CancellationToken cancellationToken)
    {
        var snapshot = await inner.CreateSnapshotAsync(vm, snapshotName, cancellationToken);
        var directory = Path.GetFullPath(Path.Combine(exports.Directory, string.Concat(snapshotName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'))));
        // Unix socket paths are limited to 107 bytes: sockets go to a short directory of their own.
        var sockets = Path.Combine(Path.GetTempPath(), "vma-nbd-" + Guid.NewGuid().ToString("N")[..8]);
        var exported = new ExportedSnapshot(snapshot, directory, sockets);
        try
        {
            Directory.CreateDirectory(directory);
            Directory.CreateDirectory(sockets);
            foreach (var disk in vm.Disks)
            {
                var image = Path.Combine(directory, disk.Id + ".img");
                await MaterialiseAsync(snapshot, disk, image, cancellationToken);
                var server = await NbdkitProcess.StartAsync(exports.Nbdkit, Path.Combine(sockets, disk.Id + ".sock"),
                    ["-r", "file", "file=" + image], client.ConnectTimeout, cancellationToken);
                exported.Servers.Add(server);
                var connection = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Uri), client, time, cancellationToken);
                exported.Disks[disk.Id] = new NbdSourceDisk(disk.Id, connection);
            }

            return exported;
        }
        catch
        {
            await exported.DisposeAsync();
            throw;
        }
    }

    private static async Task MaterialiseAsync(ISourceSnapshot snapshot, SourceDiskInfo disk, string image, CancellationToken cancellationToken)
    {
        var allocated = await snapshot.QueryChangedAreasAsync(disk.Id, "*", cancellationToken);
        var reader = snapshot.OpenDisk(disk.Id);
        var buffer = new byte[1 << 20];
        await using var file = new FileStream(image, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.Asynchronous);
        file.SetLength(disk.CapacityBytes);
        foreach (var area in allocated.Areas)
        {
            for (var offset = area.Offset; offset < area.End; offset += buffer.Length)
            {
                var count = (int)Math.Min(buffer.Length, area.End - offset);
                await reader.ReadAsync(offset, buffer.AsMemory(0, count), cancellationToken);
                file.Position = offset;
                await file.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
            }
        }
    }

    private sealed class ExportedSnapshot(ISourceSnapshot inner, string directory, string sockets) : ISourceSnapshot
    {
        public List<NbdkitProcess> Servers { get; } = [];

        public Dictionary<string, NbdSourceDisk> Disks { get; } = new(StringComparer.Ordinal);

        public string ChangeIdOf(string diskId) => inner.ChangeIdOf(diskId);

        public ValueTask<ChangedAreasResult> QueryChangedAreasAsync(string diskId, string changeId, CancellationToken cancellationToken) =>
            inner.QueryChangedAreasAsync(diskId, changeId, cancellationToken);

        public ISourceDisk OpenDisk(string diskId) =>
            Disks.TryGetValue(diskId, out var disk) ? disk : throw new InvalidOperationException($"disk {diskId} is not exported");

        public async ValueTask DisposeAsync()
        {
            foreach (var disk in Disks.Values)
            {
                await disk.DisposeAsync();
            }

            foreach (var server in Servers)
            {
                await server.DisposeAsync();
            }

            await inner.DisposeAsync();
            foreach (var path in (string[])[directory, sockets])
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
            }
        }
    }
}
