using Migration.VmaAgent.Sources;

namespace Migration.VmaAgent.Nbd;

/// <summary>
/// A source disk read through an NBD export: nbdkit's vddk plugin in front of an ESXi snapshot in production,
/// nbdkit's file plugin in front of a materialised simulated snapshot in the demo and tests.
/// </summary>
public sealed class NbdSourceDisk(string id, NbdClient client) : ISourceDisk, IAsyncDisposable
{
    public string Id => id;

    public long CapacityBytes => client.Info.Size;

    public int Alignment => client.Info.BlockSizes.Minimum;

    public int MaxRequest => client.Info.BlockSizes.MaximumPayload;

    public NbdClient Client => client;

    public async ValueTask ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var max = client.Info.BlockSizes.MaximumPayload;
        while (!buffer.IsEmpty)
        {
            var count = Math.Min(max, buffer.Length);
            await client.ReadAsync(offset, buffer[..count], cancellationToken);
            offset += count;
            buffer = buffer[count..];
        }
    }

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
