using Migration.VmaAgent.Telemetry;

namespace Migration.VmaAgent.Nbd;

/// <summary>
/// An export through one connection, or several when the server advertises <c>CAN_MULTI_CONN</c> (only then do
/// writes on one connection show on the others and one flush cover them all). Each request goes to the connection
/// with the fewest in flight. A dropped connection is replaced and its failed request sent again (every NBD
/// command we use may be repeated); server errors and protocol violations are not retried.
/// </summary>
public sealed class NbdClient : IAsyncDisposable
{
    private readonly NbdClientOptions _options;
    private readonly TimeProvider _time;
    private readonly NbdConnection?[] _connections;
    private readonly SemaphoreSlim _reconnectGate = new(1, 1);
    private long _reconnects;
    private long _requests;

    private NbdClient(NbdAddress address, NbdClientOptions options, TimeProvider time, NbdConnection?[] connections)
    {
        Address = address;
        _options = options;
        _time = time;
        _connections = connections;
        Info = connections[0]!.Info;
    }

    public NbdAddress Address { get; }

    public NbdExportInfo Info { get; }

    public int ConnectionCount => _connections.Length;

    /// <summary>
    /// Where request latencies are recorded (<c>vma.nbd.call.duration</c> by command), one read or
    /// write in <see cref="NbdClientOptions.LatencySampleEvery"/> (every flush, trim and block status); none when null.
    /// </summary>
    public VmaMetrics? Metrics { get; set; }

    /// <summary>How many connections were replaced after a drop: a writer that counts on unflushed writes checks it.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    public static async Task<NbdClient> ConnectAsync(NbdAddress address, NbdClientOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var first = await ConnectWithRetriesAsync(address, options, time, cancellationToken);
        var count = first.Info.CanMultiConn ? Math.Max(1, options.Connections) : 1;
        var connections = new NbdConnection?[count];
        connections[0] = first;
        try
        {
            // One after another: nbdkit refuses unix-socket connections that arrive together faster than it accepts them.
            for (var i = 1; i < count; i++)
            {
                connections[i] = await ConnectWithRetriesAsync(address, options, time, cancellationToken);
            }
        }
        catch
        {
            foreach (var connection in connections)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }
            }

            throw;
        }

        return new NbdClient(address, options, time, connections);
    }

    /// <summary>A server that is restarting (refused, reset) gets <see cref="NbdClientOptions.ReconnectAttempts"/> more tries.</summary>
    private static async Task<NbdConnection> ConnectWithRetriesAsync(NbdAddress address, NbdClientOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = options.ReconnectDelay;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await NbdConnection.ConnectAsync(address, options, time, cancellationToken);
            }
            catch (NbdConnectionLostException) when (attempt < options.ReconnectAttempts)
            {
                await Task.Delay(delay, time, cancellationToken);
                delay *= 2;
            }
        }
    }

    public Task ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        Timed("read", () => RunAsync(c => c.ReadAsync(offset, buffer, cancellationToken), cancellationToken));

    public Task WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Timed("write", () => RunAsync(c => c.WriteAsync(offset, data, cancellationToken), cancellationToken));

    /// <summary>Zeroes any length, in steps the protocol can carry (aligned, at most 1 GiB each).</summary>
    public async Task WriteZeroesAsync(long offset, long length, bool noHole, CancellationToken cancellationToken)
    {
        var step = 1 << 30;
        while (length > 0)
        {
            var count = (int)Math.Min(step, length);
            var at = offset;
            await Timed("write_zeroes", () => RunAsync(c => c.WriteZeroesAsync(at, count, noHole, cancellationToken), cancellationToken));
            offset += count;
            length -= count;
        }
    }

    public async Task TrimAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var step = 1 << 30;
        while (length > 0)
        {
            var count = (int)Math.Min(step, length);
            var at = offset;
            await Timed("trim", () => RunAsync(c => c.TrimAsync(at, count, cancellationToken), cancellationToken));
            offset += count;
            length -= count;
        }
    }

    /// <summary>Flushes every connection (one suffices with multi-conn, but a flush per connection is cheap and always right).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _connections.Length; i++)
        {
            var slot = i;
            await Timed("flush", () => RunAsync(_ => Connection(slot).FlushAsync(cancellationToken), cancellationToken, slot));
        }
    }

    /// <summary>The <c>base:allocation</c> map of [offset, offset+length), asking again where the server answered for less.</summary>
    public async Task<IReadOnlyList<NbdExtent>> MapAsync(long offset, long length, CancellationToken cancellationToken)
    {
        var end = offset + length;
        var extents = new List<NbdExtent>();
        while (offset < end)
        {
            var ask = (int)Math.Min(end - offset, 1L << 30) / Info.BlockSizes.Minimum * Info.BlockSizes.Minimum;
            if (ask == 0)
            {
                ask = (int)(end - offset);
            }

            var at = offset;
            IReadOnlyList<NbdExtent> answer = [];
            await Timed("block_status", () => RunAsync(async c => answer = await c.BlockStatusAsync(at, ask, cancellationToken), cancellationToken));
            foreach (var extent in answer)
            {
                var clipped = extent with { Length = Math.Min(extent.End, end) - extent.Offset };
                if (clipped.Length <= 0)
                {
                    break;
                }

                extents.Add(clipped);
                offset = clipped.End;
            }
        }

        return extents;
    }

    /// <summary>Timing every request cost about a tenth of a copy's CPU: a sample shows the same distribution.</summary>
    private Task Timed(string command, Func<Task> request) =>
        Metrics is { } metrics && (command is not ("read" or "write" or "write_zeroes")
            || Interlocked.Increment(ref _requests) % Math.Max(1, _options.LatencySampleEvery) == 0)
            ? metrics.MeasureNbdAsync(command, request)
            : request();

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }

        _reconnectGate.Dispose();
    }

    private NbdConnection Connection(int slot) => _connections[slot] ?? throw new NbdConnectionLostException($"NBD export {Address.Display}: not connected");

    private int LeastBusy()
    {
        var best = 0;
        var bestLoad = int.MaxValue;
        for (var i = 0; i < _connections.Length; i++)
        {
            var connection = Volatile.Read(ref _connections[i]);
            var load = connection is null || connection.IsBroken ? int.MaxValue - 1 : connection.InFlight;
            if (load < bestLoad)
            {
                best = i;
                bestLoad = load;
            }
        }

        return best;
    }

    private async Task RunAsync(Func<NbdConnection, Task> operation, CancellationToken cancellationToken, int? fixedSlot = null)
    {
        var delay = _options.ReconnectDelay;
        for (var attempt = 0; ; attempt++)
        {
            var slot = fixedSlot ?? LeastBusy();
            var connection = Volatile.Read(ref _connections[slot]);
            try
            {
                if (connection is null || connection.IsBroken)
                {
                    connection = await ReconnectAsync(slot, connection, cancellationToken);
                }

                await operation(connection);
                return;
            }
            catch (NbdConnectionLostException) when (attempt < _options.ReconnectAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, _time, cancellationToken);
                delay *= 2;
            }
        }
    }

    private async Task<NbdConnection> ReconnectAsync(int slot, NbdConnection? broken, CancellationToken cancellationToken)
    {
        await _reconnectGate.WaitAsync(cancellationToken);
        try
        {
            var current = Volatile.Read(ref _connections[slot]);
            if (current is not null && !ReferenceEquals(current, broken) && !current.IsBroken)
            {
                return current;
            }

            if (current is not null)
            {
                await current.DisposeAsync();
                Volatile.Write(ref _connections[slot], null);
            }

            var fresh = await NbdConnection.ConnectAsync(Address, _options, _time, cancellationToken);
            if (fresh.Info.Size != Info.Size)
            {
                await fresh.DisposeAsync();
                throw new NbdProtocolException($"NBD export {Address.Display}: after reconnecting the export is {fresh.Info.Size} bytes, before it was {Info.Size}");
            }

            Interlocked.Increment(ref _reconnects);
            Volatile.Write(ref _connections[slot], fresh);
            return fresh;
        }
        finally
        {
            _reconnectGate.Release();
        }
    }
}
