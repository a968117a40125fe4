using Migration.VmaAgent.Nbd;

namespace Migration.VmaAgent.Targets;

/// <summary>One target volume over NBD. Writes longer than the server's maximum payload are split; closing says DISC.</summary>
internal sealed class NbdTargetDisk(NbdClient client, bool startsZeroed, bool zeroesKeepAllocated) : ITargetDisk
{
    private static readonly byte[] Zeroes = new byte[1 << 20];

    public string Device => client.Address.Display;

    public string? ExportName => client.Address.ExportName.Length > 0 ? client.Address.ExportName : client.Address.Display;

    public bool StartsZeroed => startsZeroed;

    public long Generation => client.Reconnects;

    public int Alignment => client.Info.BlockSizes.Minimum;

    public int MaxRequest => client.Info.BlockSizes.MaximumPayload;

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var max = client.Info.BlockSizes.MaximumPayload;
        while (!data.IsEmpty)
        {
            var count = Math.Min(max, data.Length);
            await client.WriteAsync(offset, data[..count], cancellationToken);
            offset += count;
            data = data[count..];
        }
    }

    public async ValueTask WriteZeroesAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (client.Info.CanWriteZeroes)
        {
            await client.WriteZeroesAsync(offset, length, zeroesKeepAllocated, cancellationToken);
            return;
        }

        var step = Math.Min(Zeroes.Length, client.Info.BlockSizes.MaximumPayload);
        while (length > 0)
        {
            var count = (int)Math.Min(step, length);
            await client.WriteAsync(offset, Zeroes.AsMemory(0, count), cancellationToken);
            offset += count;
            length -= count;
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken) => await client.FlushAsync(cancellationToken);

    /// <summary>An export is written in place: once flushed there is nothing to swap in.</summary>
    public ValueTask CommitAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
