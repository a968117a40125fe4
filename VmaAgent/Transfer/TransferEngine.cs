using System.Buffers;
using Migration.VmaAgent.Sources;
using Migration.VmaAgent.Targets;

namespace Migration.VmaAgent.Transfer;

/// <summary>Moves one disk's planned areas from a source snapshot to a target, chunk by chunk, reporting bytes as they land.</summary>
public static class TransferEngine
{
    public static async Task CopyAsync(
        ISourceDisk source,
        ITargetDisk target,
        IReadOnlyList<DiskArea> areas,
        bool fullSync,
        int chunkSize,
        RatePacer pacer,
        Action<long> bytesLanded,
        CancellationToken cancellationToken)
    {
        if (fullSync && !target.StartsZeroed)
        {
            await ZeroGapsAsync(target, areas, source.CapacityBytes, cancellationToken);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            foreach (var area in areas)
            {
                for (var offset = area.Offset; offset < area.End; offset += chunkSize)
                {
                    var count = (int)Math.Min(chunkSize, area.End - offset);
                    await pacer.WaitAsync(count, cancellationToken);
                    var chunk = buffer.AsMemory(0, count);
                    await source.ReadAsync(offset, chunk, cancellationToken);
                    await target.WriteAsync(offset, chunk, cancellationToken);
                    bytesLanded(count);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A full sync onto a target that keeps old bytes must zero what the source leaves unallocated.</summary>
    private static async Task ZeroGapsAsync(ITargetDisk target, IReadOnlyList<DiskArea> areas, long capacity, CancellationToken cancellationToken)
    {
        long position = 0;
        foreach (var area in areas.Append(new DiskArea(capacity, 0)))
        {
            if (area.Offset > position)
            {
                await target.WriteZeroesAsync(position, area.Offset - position, cancellationToken);
            }

            position = Math.Max(position, area.End);
        }
    }
}
