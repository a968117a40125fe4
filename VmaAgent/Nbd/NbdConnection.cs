using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Migration.VmaAgent.Nbd;

/// <summary>
/// One negotiated connection in the transmission phase. Requests from many callers go out one after another
/// under a send lock; one receive loop reads replies and completes the request whose cookie they carry, in
/// whatever order the server answers. Every wait is bounded by <see cref="NbdClientOptions.RequestTimeout"/>. Any
/// protocol violation, drop or timeout closes the connection and fails every request in flight with an error that
/// names the export and the request; a read's buffer is never touched after its request has ended.
/// </summary>
public sealed class NbdConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NbdSocketReader _reader;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly byte[] _header = new byte[NbdProtocol.RequestHeaderSize];
    private readonly ConcurrentDictionary<ulong, NbdPendingRequest> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _requestTimeout;
    private long _lastCookie;
    private Task _receiveLoop = Task.CompletedTask;
    private NbdException? _failure;

    private NbdConnection(Socket socket, NbdSocketReader reader, NbdAddress address, NbdExportInfo info, TimeSpan requestTimeout)
    {
        _socket = socket;
        _reader = reader;
        Address = address;
        Info = info;
        _requestTimeout = requestTimeout;
    }

    public NbdAddress Address { get; }

    public NbdExportInfo Info { get; }

    /// <summary>True once the connection has failed; every request on it then fails at once.</summary>
    public bool IsBroken => Volatile.Read(ref _failure) is not null;

    public int InFlight => _pending.Count;

    public static async Task<NbdConnection> ConnectAsync(NbdAddress address, NbdClientOptions options, CancellationToken cancellationToken)
    {
        var endPoint = address.EndPoint;
        var socket = address.SocketPath is not null
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var reader = new NbdSocketReader(socket);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token);
            var info = await new NbdHandshake(socket, reader, address).RunAsync(timeout.Token);
            var connection = new NbdConnection(socket, reader, address, info, options.RequestTimeout);
            connection._receiveLoop = Task.Run(connection.ReceiveLoopAsync, CancellationToken.None);
            return connection;
        }
        catch (Exception ex)
        {
            reader.Dispose();
            socket.Dispose();
            throw ex switch
            {
                OperationCanceledException when cancellationToken.IsCancellationRequested => ex,
                OperationCanceledException => new NbdConnectionLostException(
                    $"NBD export {address.Display}: no connection and handshake within {options.ConnectTimeout.TotalSeconds:0.#} s"),
                SocketException socketError => new NbdConnectionLostException($"NBD export {address.Display}: cannot connect: {socketError.Message}", ex),
                EndOfStreamException => new NbdConnectionLostException($"NBD export {address.Display}: the server closed the connection during the handshake", ex),
                NbdException => ex,
                _ => new NbdConnectionLostException($"NBD export {address.Display}: handshake failed: {ex.Message}", ex),
            };
        }
    }

    public Task ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        CheckRange(NbdCommand.Read, offset, buffer.Length, payload: true);
        return RunAsync(NbdCommand.Read, 0, offset, buffer.Length, ReadOnlyMemory<byte>.Empty, buffer, cancellationToken);
    }

    public Task WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        CheckWritable();
        CheckRange(NbdCommand.Write, offset, data.Length, payload: true);
        return RunAsync(NbdCommand.Write, 0, offset, data.Length, data, Memory<byte>.Empty, cancellationToken);
    }

    /// <summary>Zeroes a range; <paramref name="noHole"/> asks the server to keep it allocated (a thick target).</summary>
    public Task WriteZeroesAsync(long offset, int length, bool noHole, CancellationToken cancellationToken)
    {
        CheckWritable();
        if (!Info.CanWriteZeroes)
        {
            throw new NotSupportedException($"NBD export {Address.Display} does not support WRITE_ZEROES");
        }

        CheckRange(NbdCommand.WriteZeroes, offset, length, payload: false);
        return RunAsync(NbdCommand.WriteZeroes, noHole ? NbdProtocol.CmdFlagNoHole : (ushort)0, offset, length,
            ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty, cancellationToken);
    }

    public Task TrimAsync(long offset, int length, CancellationToken cancellationToken)
    {
        CheckWritable();
        if (!Info.CanTrim)
        {
            throw new NotSupportedException($"NBD export {Address.Display} does not support TRIM");
        }

        CheckRange(NbdCommand.Trim, offset, length, payload: false);
        return RunAsync(NbdCommand.Trim, 0, offset, length, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty, cancellationToken);
    }

    /// <summary>Makes every write completed so far durable; a no-op on servers that do not ask for flushes.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => Info.CanFlush
        ? RunAsync(NbdCommand.Flush, 0, 0, 0, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty, cancellationToken)
        : Task.CompletedTask;

    /// <summary>
    /// <c>base:allocation</c> from <paramref name="offset"/>: the server may describe less than asked (call again from
    /// the end of the last extent) but never less than one extent.
    /// </summary>
    public async Task<IReadOnlyList<NbdExtent>> BlockStatusAsync(long offset, int length, CancellationToken cancellationToken)
    {
        if (Info.AllocationContextId is null)
        {
            throw new NotSupportedException($"NBD export {Address.Display} did not agree to the base:allocation meta context");
        }

        CheckRange(NbdCommand.BlockStatus, offset, length, payload: false);
        var request = await StartAsync(NbdCommand.BlockStatus, 0, offset, length, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty, cancellationToken);
        return request.Extents is { Count: > 0 } extents
            ? extents
            : throw new NbdProtocolException($"{request.Describe(Address)}: the reply described no extent");
    }

    /// <summary>Waits for requests in flight (bounded), says DISC, and closes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!IsBroken)
        {
            var deadline = Environment.TickCount64 + (long)_requestTimeout.TotalMilliseconds;
            while (!_pending.IsEmpty && !IsBroken && Environment.TickCount64 < deadline)
            {
                await Task.Delay(10);
            }

            try
            {
                await _sendGate.WaitAsync(_requestTimeout);
                try
                {
                    WriteHeader(NbdCommand.Disconnect, 0, 0, 0, 0);
                    using var timeout = new CancellationTokenSource(_requestTimeout);
                    await SendAllAsync(_header, timeout.Token);
                }
                finally
                {
                    _sendGate.Release();
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The server went away first: nothing left to tell it.
            }
        }

        Break(new NbdConnectionLostException($"NBD export {Address.Display}: the connection was closed"));
        await _receiveLoop.ConfigureAwait(false);
        _reader.Dispose();
        _stop.Dispose();
        _sendGate.Dispose();
    }

    private async Task RunAsync(NbdCommand command, ushort flags, long offset, long length, ReadOnlyMemory<byte> payload,
        Memory<byte> readBuffer, CancellationToken cancellationToken) =>
        await StartAsync(command, flags, offset, length, payload, readBuffer, cancellationToken);

    private async Task<NbdPendingRequest> StartAsync(NbdCommand command, ushort flags, long offset, long length,
        ReadOnlyMemory<byte> payload, Memory<byte> readBuffer, CancellationToken cancellationToken)
    {
        var request = new NbdPendingRequest(command, offset, length, readBuffer);
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw Derive(failure, request);
        }

        var cookie = (ulong)Interlocked.Increment(ref _lastCookie);
        _pending[cookie] = request;
        var send = SendRequestAsync(cookie, request, flags, payload);
        try
        {
            await request.Completion.WaitAsync(_requestTimeout, cancellationToken);
            return request;
        }
        catch (TimeoutException)
        {
            Break(new NbdConnectionLostException($"no reply within {_requestTimeout.TotalSeconds:0.#} s to {request.Describe(Address)}"));
            await WhenQuietAsync(send);
            throw Derive(_failure!, request);
        }
        catch (OperationCanceledException)
        {
            // The reply may still come and would land in a buffer the caller is about to give back: close first.
            Break(new NbdConnectionLostException($"NBD export {Address.Display}: a request was cancelled, the connection was closed"));
            await WhenQuietAsync(send);
            throw;
        }
        catch (NbdException) when (IsBroken)
        {
            await WhenQuietAsync(send);
            throw;
        }
    }

    private async Task SendRequestAsync(ulong cookie, NbdPendingRequest request, ushort flags, ReadOnlyMemory<byte> payload)
    {
        try
        {
            await _sendGate.WaitAsync(_stop.Token);
            try
            {
                WriteHeader(request.Command, flags, cookie, request.Offset, (uint)request.Length);
                await SendAllAsync(_header, _stop.Token);
                if (!payload.IsEmpty)
                {
                    await SendAllAsync(payload, _stop.Token);
                }
            }
            finally
            {
                _sendGate.Release();
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Break(new NbdConnectionLostException($"NBD export {Address.Display}: sending failed: {ex.Message}", ex));
        }
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    private void WriteHeader(NbdCommand command, ushort flags, ulong cookie, long offset, uint length)
    {
        var header = _header.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(header, NbdProtocol.RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)command);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], cookie);
        BinaryPrimitives.WriteUInt64BigEndian(header[16..], (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(header[24..], length);
    }

    private async Task ReceiveLoopAsync()
    {
        var ct = _stop.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var magic = await _reader.ReadUInt32Async(ct);
                switch (magic)
                {
                    case NbdProtocol.SimpleReplyMagic:
                        await ReceiveSimpleReplyAsync(ct);
                        break;
                    case NbdProtocol.StructuredReplyMagic when Info.StructuredReplies:
                        await ReceiveChunkAsync(ct);
                        break;
                    default:
                        throw new NbdProtocolException($"NBD export {Address.Display}: a reply has the wrong magic 0x{magic:x8}");
                }
            }
        }
        catch (NbdException ex)
        {
            Break(ex);
        }
        catch (Exception ex) when (ex is OperationCanceledException && ct.IsCancellationRequested)
        {
            // Closed by us; Break has already recorded why.
        }
        catch (Exception ex) when (ex is EndOfStreamException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Break(new NbdConnectionLostException($"NBD export {Address.Display}: the connection dropped: {ex.Message}", ex));
        }
    }

    private async Task ReceiveSimpleReplyAsync(CancellationToken ct)
    {
        var error = await _reader.ReadUInt32Async(ct);
        var cookie = await _reader.ReadUInt64Async(ct);
        if (!_pending.TryRemove(cookie, out var request))
        {
            throw new NbdProtocolException($"NBD export {Address.Display}: a reply carries cookie {cookie}, which no request in flight has");
        }

        if (error != 0)
        {
            request.Fail(new NbdServerErrorException($"{request.Describe(Address)}: the server answered {NbdErrors.Describe(error)}", error));
            return;
        }

        if (request.Command == NbdCommand.Read)
        {
            if (Info.StructuredReplies)
            {
                throw Orphaned(request, "a simple reply to a read after structured replies were agreed");
            }

            await _reader.ReadExactAsync(request.ReadBuffer, ct);
        }
        else if (request.Command == NbdCommand.BlockStatus)
        {
            throw Orphaned(request, "a simple reply to BLOCK_STATUS");
        }

        request.Succeed();
    }

    private async Task ReceiveChunkAsync(CancellationToken ct)
    {
        var flags = await _reader.ReadUInt16Async(ct);
        var type = await _reader.ReadUInt16Async(ct);
        var cookie = await _reader.ReadUInt64Async(ct);
        var length = await _reader.ReadUInt32Async(ct);
        if (!_pending.TryGetValue(cookie, out var request))
        {
            throw new NbdProtocolException($"NBD export {Address.Display}: a reply chunk carries cookie {cookie}, which no request in flight has");
        }

        var done = (flags & NbdProtocol.ReplyFlagDone) != 0;
        switch (type)
        {
            case NbdProtocol.ChunkNone:
                if (length != 0 || !done)
                {
                    throw Malformed(request, $"a NONE chunk with {length} bytes{(done ? "" : " and without DONE")}");
                }

                break;
            case NbdProtocol.ChunkOffsetData when request.Command == NbdCommand.Read:
                await ReceiveDataAsync(request, length, ct);
                break;
            case NbdProtocol.ChunkOffsetHole when request.Command == NbdCommand.Read:
                await ReceiveHoleAsync(request, length, ct);
                break;
            case NbdProtocol.ChunkBlockStatus when request.Command == NbdCommand.BlockStatus:
                await ReceiveBlockStatusAsync(request, length, ct);
                break;
            case var error when (error & NbdProtocol.ChunkErrorBit) != 0:
                await ReceiveErrorAsync(request, type, length, ct);
                break;
            default:
                throw Malformed(request, $"an unexpected chunk of type {type}");
        }

        if (!done)
        {
            return;
        }

        _pending.TryRemove(cookie, out _);
        if (request.Error is { } serverError)
        {
            request.Fail(serverError);
        }
        else if (request.Command == NbdCommand.Read && request.FilledBytes != request.Length)
        {
            throw Orphaned(request, $"the reply covered {request.FilledBytes} of {request.Length} bytes");
        }
        else if (request.Command == NbdCommand.BlockStatus && request.Extents is null)
        {
            throw Orphaned(request, "the reply had no block status chunk");
        }
        else
        {
            request.Succeed();
        }
    }

    private async Task ReceiveDataAsync(NbdPendingRequest request, uint length, CancellationToken ct)
    {
        if (length < 8 || length - 8 > request.Length)
        {
            throw Malformed(request, $"an OFFSET_DATA chunk of {length} bytes");
        }

        var offset = (long)await _reader.ReadUInt64Async(ct);
        var count = length - 8;
        var start = offset - request.Offset;
        if (count == 0 || start < 0 || start + count > request.Length || !request.MarkFilled(start, start + count))
        {
            throw Malformed(request, $"data for offset {offset}, {count} bytes, outside the request or over bytes already sent");
        }

        await _reader.ReadExactAsync(request.ReadBuffer.Slice((int)start, (int)count), ct);
    }

    private async Task ReceiveHoleAsync(NbdPendingRequest request, uint length, CancellationToken ct)
    {
        if (length != 12)
        {
            throw Malformed(request, $"an OFFSET_HOLE chunk of {length} bytes, not 12");
        }

        var offset = (long)await _reader.ReadUInt64Async(ct);
        var count = await _reader.ReadUInt32Async(ct);
        var start = offset - request.Offset;
        if (count == 0 || start < 0 || start + count > request.Length || !request.MarkFilled(start, start + count))
        {
            throw Malformed(request, $"a hole at offset {offset}, {count} bytes, outside the request or over bytes already sent");
        }

        request.ReadBuffer.Span.Slice((int)start, (int)count).Clear();
    }

    private async Task ReceiveBlockStatusAsync(NbdPendingRequest request, uint length, CancellationToken ct)
    {
        if (length < 12 || (length - 4) % 8 != 0 || length > NbdProtocol.MaxControlPayload)
        {
            throw Malformed(request, $"a BLOCK_STATUS chunk of {length} bytes");
        }

        var context = await _reader.ReadUInt32Async(ct);
        if (context != Info.AllocationContextId)
        {
            throw Malformed(request, $"block status for meta context {context}, which was not agreed");
        }

        if (request.Extents is not null)
        {
            throw Malformed(request, "a second BLOCK_STATUS chunk for the same context");
        }

        var extents = new List<NbdExtent>((int)((length - 4) / 8));
        var position = request.Offset;
        for (var i = 0; i < (length - 4) / 8; i++)
        {
            var extentLength = await _reader.ReadUInt32Async(ct);
            var state = await _reader.ReadUInt32Async(ct);
            if (extentLength == 0 || position + extentLength > Info.Size)
            {
                throw Malformed(request, $"an extent of {extentLength} bytes at offset {position} (export size {Info.Size})");
            }

            extents.Add(new NbdExtent(position, extentLength, (state & NbdProtocol.StateHole) != 0, (state & NbdProtocol.StateZero) != 0));
            position += extentLength;
        }

        request.Extents = extents;
    }

    private async Task ReceiveErrorAsync(NbdPendingRequest request, ushort type, uint length, CancellationToken ct)
    {
        if (length < 6 || length > NbdProtocol.MaxControlPayload)
        {
            throw Malformed(request, $"an error chunk of {length} bytes");
        }

        var error = await _reader.ReadUInt32Async(ct);
        var messageLength = await _reader.ReadUInt16Async(ct);
        if (messageLength > length - 6)
        {
            throw Malformed(request, $"an error message of {messageLength} bytes in a chunk of {length}");
        }

        var message = new byte[messageLength];
        await _reader.ReadExactAsync(message, ct);
        await _reader.SkipAsync(length - 6 - messageLength, ct);
        if (error == 0)
        {
            throw Malformed(request, "an error chunk with error 0");
        }

        var text = message.Length > 0 ? $": {NbdHandshake.Printable(Encoding.UTF8.GetString(message))}" : "";
        var where = type == NbdProtocol.ChunkErrorOffset ? " (at a given offset)" : "";
        request.Error ??= new NbdServerErrorException($"{request.Describe(Address)}: the server answered {NbdErrors.Describe(error)}{where}{text}", error);
    }

    /// <summary>A reply broke the protocol while its request was still in flight: <see cref="Break"/> fails it with this cause.</summary>
    private NbdProtocolException Malformed(NbdPendingRequest request, string what) =>
        new($"{request.Describe(Address)}: malformed reply: {what}");

    /// <summary>Like <see cref="Malformed"/> for a request already taken out of the table: it is failed here.</summary>
    private NbdProtocolException Orphaned(NbdPendingRequest request, string what)
    {
        var error = Malformed(request, what);
        request.Fail(error);
        return error;
    }

    /// <summary>Closes the connection once, with the first reason; every request still in flight fails with it.</summary>
    private void Break(NbdException reason)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) is not null)
        {
            return;
        }

        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: nothing to cancel.
        }

        _socket.Dispose();
        foreach (var cookie in _pending.Keys)
        {
            if (_pending.TryRemove(cookie, out var request))
            {
                request.Fail(Derive(reason, request));
            }
        }
    }

    /// <summary>After a close, waits until neither loop can touch a caller's buffer any more.</summary>
    private async Task WhenQuietAsync(Task send)
    {
        await send.ConfigureAwait(false);
        await _receiveLoop.ConfigureAwait(false);
    }

    private NbdException Derive(NbdException reason, NbdPendingRequest request)
    {
        var described = request.Describe(Address);
        var message = reason.Message.StartsWith(described, StringComparison.Ordinal) ? reason.Message : $"{described}: {reason.Message}";
        return reason switch
        {
            NbdProtocolException => new NbdProtocolException(message, reason),
            NbdServerErrorException server => new NbdServerErrorException(message, server.Errno),
            _ => new NbdConnectionLostException(message, reason),
        };
    }

    private void CheckWritable()
    {
        if (Info.ReadOnly)
        {
            throw new NotSupportedException($"NBD export {Address.Display} is read-only");
        }
    }

    /// <summary>Our own requests must obey the export's limits: a violation is a bug on this side, refused before it is sent.</summary>
    private void CheckRange(NbdCommand command, long offset, long length, bool payload)
    {
        var sizes = Info.BlockSizes;
        var name = NbdPendingRequest.Name(command);
        if (length <= 0 || offset < 0 || offset + length > Info.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"NBD export {Address.Display}: {name} at offset {offset}, {length} bytes is outside the export of {Info.Size} bytes");
        }

        var endsAtExportEnd = offset + length == Info.Size;
        if (offset % sizes.Minimum != 0 || (length % sizes.Minimum != 0 && !endsAtExportEnd))
        {
            throw new ArgumentException($"NBD export {Address.Display}: {name} at offset {offset}, {length} bytes is not aligned to the minimum block size {sizes.Minimum}");
        }

        if (payload ? length > sizes.MaximumPayload : length > uint.MaxValue)
        {
            throw new ArgumentException($"NBD export {Address.Display}: {name} of {length} bytes exceeds the maximum of {sizes.MaximumPayload}");
        }
    }
}
