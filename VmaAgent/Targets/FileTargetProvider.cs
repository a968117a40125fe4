using Microsoft.Win32.SafeHandles;

namespace Migration.VmaAgent.Targets;

/// <summary>
/// Raw sparse image files. A full sync writes <c>&lt;image&gt;.partial</c> and renames it over the image on
/// commit, so a failed full sync never destroys the image the next incremental builds on.
/// </summary>
public sealed class FileTargetProvider : ITargetProvider
{
    public IReadOnlyCollection<string> Schemes { get; } = ["file"];

    public ValueTask<string?> CheckIncrementalBaseAsync(Uri uri, long capacityBytes, CancellationToken cancellationToken)
    {
        var path = uri.LocalPath;
        var info = new FileInfo(path);
        string? problem = !info.Exists ? $"the target image {path} does not exist"
            : info.Length != capacityBytes ? $"the target image {path} is {info.Length} bytes, the disk {capacityBytes}"
            : null;
        return ValueTask.FromResult(problem);
    }

    public ValueTask<ITargetDisk> OpenAsync(Uri uri, long capacityBytes, bool fullSync, CancellationToken cancellationToken)
    {
        var path = uri.LocalPath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!fullSync)
        {
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, FileOptions.Asynchronous);
            return ValueTask.FromResult<ITargetDisk>(new FileTargetDisk(path, handle, workingPath: null, startsZeroed: false));
        }

        var partial = path + ".partial";
        var fresh = File.OpenHandle(partial, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, FileOptions.Asynchronous);
        RandomAccess.SetLength(fresh, capacityBytes);
        return ValueTask.FromResult<ITargetDisk>(new FileTargetDisk(path, fresh, partial, startsZeroed: true));
    }

    /// <summary>A full sync goes on in its <c>.partial</c> image (null when that is gone); an incremental in the image.</summary>
    public ValueTask<ITargetDisk?> ReopenAsync(Uri uri, long capacityBytes, bool fullSync, bool zeroedAtStart, CancellationToken cancellationToken)
    {
        var path = uri.LocalPath;
        var working = fullSync ? path + ".partial" : path;
        var info = new FileInfo(working);
        if (!info.Exists || info.Length != capacityBytes)
        {
            return ValueTask.FromResult<ITargetDisk?>(null);
        }

        var handle = File.OpenHandle(working, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, FileOptions.Asynchronous);
        return ValueTask.FromResult<ITargetDisk?>(new FileTargetDisk(path, handle, fullSync ? working : null, startsZeroed: fullSync && zeroedAtStart));
    }

    private sealed class FileTargetDisk(string path, SafeFileHandle handle, string? workingPath, bool startsZeroed) : ITargetDisk
    {
        private static readonly byte[] Zeroes = new byte[1 << 20];
        private bool _committed;
        private bool _kept;

        public string Device => path;

        public bool StartsZeroed => startsZeroed;

        public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            RandomAccess.WriteAsync(handle, data, offset, cancellationToken);

        public async ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken)
        {
            while (length > 0)
            {
                var count = (int)Math.Min(length, Zeroes.Length);
                await RandomAccess.WriteAsync(handle, Zeroes.AsMemory(0, count), offset, cancellationToken);
                offset += count;
                length -= count;
            }
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            RandomAccess.FlushToDisk(handle);
            return ValueTask.CompletedTask;
        }

        public void KeepForResume() => _kept = true;

        public ValueTask CommitAsync(CancellationToken cancellationToken)
        {
            if (workingPath is not null && !_committed)
            {
                handle.Dispose();
                File.Move(workingPath, path, overwrite: true);
            }

            _committed = true;
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            handle.Dispose();
            if (workingPath is not null && !_committed && !_kept && File.Exists(workingPath))
            {
                File.Delete(workingPath);
            }

            return ValueTask.CompletedTask;
        }
    }
}
