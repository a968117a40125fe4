using System.Diagnostics;
using Migration.VmaAgent.Targets;

namespace Migration.Benchmarks.Nbd;

/// <summary>A target that adds up the wall time its flushes take (--ours-only: how much of a copy is the final flush).</summary>
internal sealed class FlushTimingTarget(ITargetDisk inner) : ITargetDisk
{
    private long _flushTicks;

    public TimeSpan FlushTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _flushTicks));

    public string Device => inner.Device;

    public bool StartsZeroed => inner.StartsZeroed;

    public string? ExportName => inner.ExportName;

    public int Alignment => inner.Alignment;

    public int MaxRequest => inner.MaxRequest;

    public long Generation => inner.Generation;

    public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        inner.WriteAsync(offset, data, cancellationToken);

    public ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken) =>
        inner.WriteZeroesAsync(offset, length, cancellationToken);

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        await inner.FlushAsync(cancellationToken);
        Interlocked.Add(ref _flushTicks, Stopwatch.GetTimestamp() - start);
    }

    public void KeepForResume() => inner.KeepForResume();

    public ValueTask CommitAsync(CancellationToken cancellationToken) => inner.CommitAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
