using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Migration.VmaAgent.Nbd;

/// <summary>
/// Exact reads from a socket through one pooled buffer: headers come out of the buffer, large payloads go straight
/// into the caller's memory (no second copy). A peer that closes early is an <see cref="EndOfStreamException"/>,
/// never a short read.
/// </summary>
internal sealed class NbdSocketReader(Socket socket) : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;

    public async ValueTask ReadExactAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var buffered = Math.Min(_end - _start, destination.Length);
        if (buffered > 0)
        {
            _buffer.AsMemory(_start, buffered).CopyTo(destination);
            _start += buffered;
            destination = destination[buffered..];
        }

        if (destination.Length >= BufferSize / 2)
        {
            while (!destination.IsEmpty)
            {
                var read = await socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    throw new EndOfStreamException("the server closed the connection");
                }

                destination = destination[read..];
            }

            return;
        }

        while (!destination.IsEmpty)
        {
            await FillAsync(cancellationToken);
            var count = Math.Min(_end - _start, destination.Length);
            _buffer.AsMemory(_start, count).CopyTo(destination);
            _start += count;
            destination = destination[count..];
        }
    }

    public async ValueTask SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            var step = (int)Math.Min(_end - _start, count);
            _start += step;
            count -= step;
        }
    }

    public async ValueTask<ushort> ReadUInt16Async(CancellationToken cancellationToken) =>
        BinaryPrimitives.ReadUInt16BigEndian((await ReadSpanAsync(2, cancellationToken)).Span);

    public async ValueTask<uint> ReadUInt32Async(CancellationToken cancellationToken) =>
        BinaryPrimitives.ReadUInt32BigEndian((await ReadSpanAsync(4, cancellationToken)).Span);

    public async ValueTask<ulong> ReadUInt64Async(CancellationToken cancellationToken) =>
        BinaryPrimitives.ReadUInt64BigEndian((await ReadSpanAsync(8, cancellationToken)).Span);

    /// <summary>The next <paramref name="count"/> bytes (at most 4 KiB), valid until the next call.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadSpanAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            await FillAsync(cancellationToken);
        }

        var result = _buffer.AsMemory(_start, count);
        _start += count;
        return result;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        var read = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new EndOfStreamException("the server closed the connection");
        }

        _end += read;
    }
}
