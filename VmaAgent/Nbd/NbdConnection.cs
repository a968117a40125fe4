using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Migration.VmaAgent.Nbd;

/// <summary>
/// One negotiated connection in the transmission phase. Requests from many callers are queued; the caller that finds
/// no one sending becomes the writer and sends whatever is queued, the headers ready together in one send (no lock
/// to wait on, and no hand-over to another thread while the socket takes data at once); one receive loop reads
/// replies and completes the request whose cookie they carry, in whatever order the server answers. Every request
/// has a deadline (<see cref="NbdClientOptions.RequestTimeout"/>) that one watchdog timer per connection checks, so
/// no request needs a timer of its own. Any protocol violation, drop or timeout closes the connection and fails every
/// request in flight with an error that names the export and the request; a read's buffer is never touched after
/// its request has ended.
/// </summary>
public sealed class NbdConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NbdSocketReader _reader;
    /// <summary>Headers the writer loop gathers into one send: reads (no payload) queued together go out in one call.</summary>
    private const int HeadersPerSend = 64;

    private readonly byte[] _headers = new byte[HeadersPerSend * NbdProtocol.RequestHeaderSize];
    private readonly ArraySegment<byte>[] _gather = new ArraySegment<byte>[2];
    private readonly ConcurrentQueue<NbdPendingRequest> _outgoing = new();
    private readonly ConcurrentDictionary<ulong, NbdPendingRequest> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly ITimer _watchdog;
    private long _lastCookie;
    private int _inFlight;
    private Task _receiveLoop = Task.CompletedTask;
    private int _writing;
    private NbdException? _failure;

    private NbdConnection(Socket socket, NbdSocketReader reader, NbdAddress address, NbdExportInfo info, TimeSpan requestTimeout, TimeProvider time)
    {
        _socket = socket;
        _reader = reader;
        Address = address;
        Info = info;
        _requestTimeout = requestTimeout;
        _time = time;
        // A reply later than its deadline is noticed within a quarter of the timeout (at most a second) after it.
        var period = TimeSpan.FromTicks(Math.Clamp(requestTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        _watchdog = time.CreateTimer(static state => ((NbdConnection)state!).CheckDeadlines(), this, period, period);
    }

    public NbdAddress Address { get; }

    public NbdExportInfo Info { get; }

    /// <summary>True once the connection has failed; every request on it then fails at once.</summary>
    public bool IsBroken => Volatile.Read(ref _failure) is not null;

    /// <summary>Requests whose callers are waiting (a counter: the table's own count takes all its locks).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public static async Task<NbdConnection> ConnectAsync(NbdAddress address, NbdClientOptions options, TimeProvider time, CancellationToken cancellationToken)
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
            var connection = new NbdConnection(socket, reader, address, info, options.RequestTimeout, time);
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

            // DISC has no reply: it goes last (or the server went away first, or stopped reading and the close below ends it).
            _outgoing.Enqueue(new NbdPendingRequest(NbdCommand.Disconnect, 0, 0, 0, ReadOnlyMemory<byte>.Empty, Memory<byte>.Empty, long.MaxValue));
            KickWriter();
            await WhenWriterIdleAsync(_time.GetTimestamp() + (long)(_requestTimeout.TotalSeconds * _time.TimestampFrequency)).ConfigureAwait(false);
        }

        Break(new NbdConnectionLostException($"NBD export {Address.Display}: the connection was closed"));
        await WhenQuietAsync().ConfigureAwait(false);
        _reader.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(NbdCommand command, ushort flags, long offset, long length, ReadOnlyMemory<byte> payload,
        Memory<byte> readBuffer, CancellationToken cancellationToken) =>
        await StartAsync(command, flags, offset, length, payload, readBuffer, cancellationToken);

    private async Task<NbdPendingRequest> StartAsync(NbdCommand command, ushort flags, long offset, long length,
        ReadOnlyMemory<byte> payload, Memory<byte> readBuffer, CancellationToken cancellationToken)
    {
        var request = new NbdPendingRequest(command, flags, offset, length, payload, readBuffer,
            _time.GetTimestamp() + (long)(_requestTimeout.TotalSeconds * _time.TimestampFrequency));
        if (Volatile.Read(ref _failure) is { } failure)
        {
            throw Derive(failure, request);
        }

        cancellationToken.ThrowIfCancellationRequested();
        request.Cookie = (ulong)Interlocked.Increment(ref _lastCookie);
        _pending[request.Cookie] = request;
        // A close that ran between the check above and the insertion did not see this request: fail it here.
        if (Volatile.Read(ref _failure) is { } late && _pending.TryRemove(request.Cookie, out _))
        {
            throw Derive(late, request);
        }

        Interlocked.Increment(ref _inFlight);
        _outgoing.Enqueue(request);
        KickWriter();
        // The reply may still come after a cancellation and would land in a buffer the caller is about to give back:
        // a cancelled request closes the connection.
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((NbdConnection)state!).Break(new NbdConnectionLostException(
                $"NBD export {((NbdConnection)state!).Address.Display}: a request was cancelled, the connection was closed")), this)
            : default;
        try
        {
            await request.Completion.ConfigureAwait(false);
            return request;
        }
        catch (NbdException) when (IsBroken)
        {
            await WhenQuietAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Makes this caller the writer unless another one is sending: it then picks this request up.</summary>
    private void KickWriter()
    {
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            _ = WriteQueuedAsync();
        }
    }

    /// <summary>
    /// Sends queued requests in order, the headers ready together in one send and a write's payload right after its
    /// header, until the queue is empty; runs on the caller's thread until a send has to wait. Only one runs at a time
    /// (<see cref="_writing"/>); it touches no caller memory once the connection is broken.
    /// </summary>
    private async Task WriteQueuedAsync()
    {
        var ct = _stop.Token;
        try
        {
            while (true)
            {
                var used = 0;
                while (!IsBroken && _outgoing.TryDequeue(out var request))
                {
                    WriteHeader(_headers.AsSpan(used), request.Command, request.Flags, request.Cookie, request.Offset, (uint)request.Length);
                    used += NbdProtocol.RequestHeaderSize;
                    if (!request.Payload.IsEmpty)
                    {
                        await SendWithPayloadAsync(used, request.Payload, ct).ConfigureAwait(false);
                        used = 0;
                    }
                    else if (used == _headers.Length)
                    {
                        await SendAllAsync(_headers.AsMemory(0, used), ct).ConfigureAwait(false);
                        used = 0;
                    }
                }

                if (used > 0 && !IsBroken)
                {
                    await SendAllAsync(_headers.AsMemory(0, used), ct).ConfigureAwait(false);
                }

                Volatile.Write(ref _writing, 0);
                // A request queued after the queue looked empty but before the release found a writer still busy: take it.
                if (IsBroken || _outgoing.IsEmpty || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (!ct.IsCancellationRequested)
            {
                Break(new NbdConnectionLostException($"NBD export {Address.Display}: sending failed: {ex.Message}", ex));
            }

            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>Until no writer is sending (bounded by <paramref name="deadline"/>, a <see cref="TimeProvider"/> timestamp).</summary>
    private async Task WhenWriterIdleAsync(long deadline)
    {
        while (Volatile.Read(ref _writing) != 0 && _time.GetTimestamp() < deadline)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    /// <summary>The headers gathered so far and a write's payload in one system call where the payload is an array.</summary>
    private async Task SendWithPayloadAsync(int headerBytes, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payload, out var segment))
        {
            await SendAllAsync(_headers.AsMemory(0, headerBytes), ct).ConfigureAwait(false);
            await SendAllAsync(payload, ct).ConfigureAwait(false);
            return;
        }

        _gather[0] = new ArraySegment<byte>(_headers, 0, headerBytes);
        _gather[1] = segment;
        var sent = await _socket.SendAsync(_gather, SocketFlags.None).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (sent < headerBytes)
        {
            await SendAllAsync(_headers.AsMemory(sent, headerBytes - sent), ct).ConfigureAwait(false);
            sent = headerBytes;
        }

        await SendAllAsync(payload[(sent - headerBytes)..], ct).ConfigureAwait(false);
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    /// <summary>The watchdog: the first request in flight past its deadline closes the connection, naming that request.</summary>
    private void CheckDeadlines()
    {
        if (_pending.IsEmpty || IsBroken)
        {
            return;
        }

        var now = _time.GetTimestamp();
        foreach (var (_, request) in _pending)
        {
            if (now > request.Deadline)
            {
                Break(new NbdConnectionLostException($"no reply within {_requestTimeout.TotalSeconds:0.#} s to {request.Describe(Address)}"));
                return;
            }
        }
    }

    private static void WriteHeader(Span<byte> header, NbdCommand command, ushort flags, ulong cookie, long offset, uint length)
    {
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
        // The request stays in the table until its data is in: a drop meanwhile fails it like any other in flight.
        if (!_pending.TryGetValue(cookie, out var request))
        {
            throw new NbdProtocolException($"NBD export {Address.Display}: a reply carries cookie {cookie}, which no request in flight has");
        }

        if (error != 0)
        {
            _pending.TryRemove(cookie, out _);
            request.Fail(new NbdServerErrorException($"{request.Describe(Address)}: the server answered {NbdErrors.Describe(error)}", error));
            return;
        }

        if (request.Command == NbdCommand.Read)
        {
            if (Info.StructuredReplies)
            {
                throw Malformed(request, "a simple reply to a read after structured replies were agreed");
            }

            await _reader.ReadExactAsync(request.ReadBuffer, ct);
        }
        else if (request.Command == NbdCommand.BlockStatus)
        {
            throw Malformed(request, "a simple reply to BLOCK_STATUS");
        }

        _pending.TryRemove(cookie, out _);
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

        _watchdog.Dispose();
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
    private async Task WhenQuietAsync()
    {
        // Once broken, a writer ends at its next step (the socket is closed); none starts touching caller memory again.
        await WhenWriterIdleAsync(_time.GetTimestamp() + (long)(_requestTimeout.TotalSeconds * _time.TimestampFrequency)).ConfigureAwait(false);
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
