using Migration.VmaAgent.Configuration;
using Migration.VmaAgent.Nbd;
using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.VSphere;

/// <summary>
/// Reads each snapshot disk through an nbdkit export of its own (<c>Vma:VSphere:DiskReader=Nbd</c>): the vddk plugin
/// in production, the file plugin over a local datastore folder in tests; our NBD client reads it over a unix socket.
/// The process lives as long as the job holds the snapshot and is stopped by its pid.
/// </summary>
public sealed partial class NbdSnapshotDiskReader(
    VSphereOptions options, NbdClientOptions client, TimeProvider time, Func<string> password, ILogger logger) : ISnapshotDiskReader
{
    public string Kind => "Nbd";

    public async ValueTask<ISourceDisk> OpenAsync(string diskId, SnapshotDiskLocation location, CancellationToken cancellationToken)
    {
        var nbd = options.Nbd;
        var vddk = string.Equals(nbd.Plugin, "vddk", StringComparison.OrdinalIgnoreCase);
        // Unix socket paths are limited to 107 bytes: a short name in a short directory.
        var directory = nbd.SocketDirectory ?? Path.GetTempPath();
        var name = $"vma-{Guid.NewGuid().ToString("N")[..10]}";
        var socket = Path.Combine(directory, name + ".sock");
        string? secret = null;
        NbdkitProcess? server = null;
        try
        {
            IReadOnlyList<string> arguments;
            if (vddk)
            {
                var passwordFile = options.PasswordFile;
                if (string.IsNullOrEmpty(passwordFile))
                {
                    secret = Path.Combine(directory, name + ".password");
                    await WriteSecretAsync(secret, password(), cancellationToken);
                    passwordFile = secret;
                }

                arguments = NbdkitDiskArguments.Vddk(options, location, passwordFile);
            }
            else
            {
                arguments = NbdkitDiskArguments.File(options, location);
            }

            server = await NbdkitProcess.StartAsync(nbd.Nbdkit, socket, arguments, nbd.StartTimeout, cancellationToken);
            var connection = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Uri), client, time, cancellationToken);
            var disk = new NbdSourceDisk(diskId, connection);
            if (connection.Info.Size != location.CapacityBytes)
            {
                await disk.DisposeAsync();
                throw new NbdException($"the nbdkit export of {location.FileName} is {connection.Info.Size} bytes, but vCenter says the disk has {location.CapacityBytes}");
            }

            LogStarted(nbd.Plugin, server.ProcessId, diskId, location.SnapshotMoref, location.FileName, socket);
            return new ExportedDisk(disk, server, secret, logger);
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            DeleteSecret(secret);
            throw;
        }
    }

    private static async Task WriteSecretAsync(string path, string secret, CancellationToken cancellationToken)
    {
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // readable by this agent's user only
        }

        await using (var stream = new FileStream(path, fileOptions))
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(secret), cancellationToken);
        }
    }

    private static void DeleteSecret(string? path)
    {
        if (path is not null)
        {
            File.Delete(path);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started nbdkit ({Plugin}) pid {Pid} for disk {DiskId} of snapshot {Snapshot} ({FileName}) on {Socket}")]
    private partial void LogStarted(string plugin, int pid, string diskId, string snapshot, string fileName, string socket);

    /// <summary>One exported snapshot disk: disposing says DISC, stops nbdkit by its pid and deletes the password copy.</summary>
    private sealed partial class ExportedDisk(NbdSourceDisk disk, NbdkitProcess server, string? secret, ILogger logger) : ISourceDisk, IAsyncDisposable
    {
        private int _disposed;

        public string Id => disk.Id;

        public long CapacityBytes => disk.CapacityBytes;

        public int Alignment => disk.Alignment;

        public int MaxRequest => disk.MaxRequest;

        public ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) => disk.ReadAsync(offset, buffer, cancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            var pid = server.ProcessId;
            try
            {
                await disk.DisposeAsync();
            }
            finally
            {
                await server.DisposeAsync();
                DeleteSecret(secret);
                LogStopped(pid, disk.Id);
            }
        }

        [LoggerMessage(Level = LogLevel.Information, Message = "Stopped nbdkit pid {Pid} of disk {DiskId}")]
        private partial void LogStopped(int pid, string diskId);
    }
}
