using System.Buffers.Binary;
using System.Net.Sockets;

namespace Migration.Tests.Nbd;

/// <summary>
/// A deliberately broken NBD server on a unix socket: a correct fixed-newstyle handshake (no structured replies,
/// GO answered with the export's size), then for the first request the reply that <see cref="Fault"/> chooses.
/// </summary>
public sealed class FakeNbdServer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeNbdServer(Fault fault)
    {
        SocketPath = Path.Combine(NbdServer.NewDirectory(), "fake.sock");
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen();
        _loop = Task.Run(() => AcceptAsync(fault));
    }

    public enum Fault
    {
        WrongCookie,
        WrongMagic,
        TruncatedReply,
        Silence,
    }

    public const long Size = 1 << 20;

    public string SocketPath { get; }

    public Uri Uri => new($"nbd+unix:///fake?socket={SocketPath}");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync(Fault fault)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client, fault));
        }
    }

    private async Task ServeAsync(Socket client, Fault fault)
    {
        using var _ = client;
        var ct = _stop.Token;
        try
        {
            var greeting = new byte[18];
            BinaryPrimitives.WriteUInt64BigEndian(greeting, 0x4e42444d41474943UL);
            BinaryPrimitives.WriteUInt64BigEndian(greeting.AsSpan(8), 0x49484156454F5054UL);
            BinaryPrimitives.WriteUInt16BigEndian(greeting.AsSpan(16), 3);
            await client.SendAsync(greeting, ct);
            await ReadAsync(client, 4, ct);
            while (true)
            {
                var header = await ReadAsync(client, 16, ct);
                var option = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8));
                await ReadAsync(client, (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12)), ct);
                if (option == 7)
                {
                    var info = new byte[12];
                    BinaryPrimitives.WriteUInt64BigEndian(info.AsSpan(2), Size);
                    BinaryPrimitives.WriteUInt16BigEndian(info.AsSpan(10), 1 | 4);
                    await client.SendAsync(OptionReply(option, 3, info), ct);
                    await client.SendAsync(OptionReply(option, 1, []), ct);
                    break;
                }

                await client.SendAsync(OptionReply(option, 0x80000001, []), ct);
            }

            var request = await ReadAsync(client, 28, ct);
            var cookie = BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(8));
            var reply = new byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(reply, fault == Fault.WrongMagic ? 0xdeadbeef : 0x67446698);
            BinaryPrimitives.WriteUInt64BigEndian(reply.AsSpan(8), fault == Fault.WrongCookie ? cookie + 1000 : cookie);
            switch (fault)
            {
                case Fault.Silence:
                    await Task.Delay(Timeout.Infinite, ct);
                    break;
                case Fault.TruncatedReply:
                    // The header of a read reply, then half of the data, then the connection closes.
                    await client.SendAsync(reply, ct);
                    await client.SendAsync(new byte[BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(24)) / 2], ct);
                    break;
                default:
                    await client.SendAsync(reply, ct);
                    await Task.Delay(Timeout.Infinite, ct);
                    break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or EndOfStreamException)
        {
            // The client hung up or the test ended.
        }
    }

    private static byte[] OptionReply(uint option, uint type, byte[] data)
    {
        var reply = new byte[20 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(reply, 0x0003e889045565a9UL);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(12), type);
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(16), (uint)data.Length);
        data.CopyTo(reply, 20);
        return reply;
    }

    private static async Task<byte[]> ReadAsync(Socket socket, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), ct);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            read += n;
        }

        return buffer;
    }
}
