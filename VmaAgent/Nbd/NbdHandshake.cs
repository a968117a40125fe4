using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Migration.VmaAgent.Nbd;

/// <summary>
/// Fixed newstyle negotiation: structured replies, the <c>base:allocation</c> meta context, then <c>NBD_OPT_GO</c>
/// asking for block sizes — each optional on the server's side — with <c>NBD_OPT_EXPORT_NAME</c> for servers
/// that do not know <c>GO</c>.
/// </summary>
internal sealed class NbdHandshake(Socket socket, NbdSocketReader reader, NbdAddress address)
{
    private bool _noZeroes;

    public async Task<NbdExportInfo> RunAsync(CancellationToken ct)
    {
        var magic = await reader.ReadUInt64Async(ct);
        if (magic != NbdProtocol.NbdMagic)
        {
            throw Fail($"the server did not greet with NBDMAGIC (got 0x{magic:x16}); is this an NBD server?");
        }

        var style = await reader.ReadUInt64Async(ct);
        if (style == NbdProtocol.OldstyleMagic)
        {
            throw Fail("the server speaks the oldstyle protocol, which has no export names; run it in newstyle mode");
        }

        if (style != NbdProtocol.OptionMagic)
        {
            throw Fail($"unexpected handshake magic 0x{style:x16}");
        }

        var serverFlags = await reader.ReadUInt16Async(ct);
        if ((serverFlags & NbdProtocol.FlagFixedNewstyle) == 0)
        {
            throw Fail("the server does not support fixed newstyle negotiation");
        }

        _noZeroes = (serverFlags & NbdProtocol.FlagNoZeroes) != 0;
        var clientFlags = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(clientFlags, NbdProtocol.FlagFixedNewstyle | (_noZeroes ? NbdProtocol.FlagNoZeroes : 0u));
        await SendAsync(clientFlags, ct);

        var structured = await NegotiateStructuredRepliesAsync(ct);
        var contextId = structured ? await NegotiateAllocationContextAsync(ct) : null;
        var (size, flags, blockSizes) = await GoAsync(ct) ?? await ExportNameAsync(ct);
        if ((flags & NbdProtocol.TransmissionHasFlags) == 0)
        {
            flags = NbdProtocol.TransmissionHasFlags;
        }

        if (size < 0)
        {
            throw Fail($"the export size {(ulong)size} is out of range");
        }

        return new NbdExportInfo(size, flags, blockSizes, structured, contextId);
    }

    private async Task<bool> NegotiateStructuredRepliesAsync(CancellationToken ct)
    {
        await SendOptionAsync(NbdProtocol.OptStructuredReply, [], ct);
        var reply = await ReadOptionReplyAsync(NbdProtocol.OptStructuredReply, ct);
        return reply.Type == NbdProtocol.RepAck;
    }

    private async Task<uint?> NegotiateAllocationContextAsync(CancellationToken ct)
    {
        var export = Encoding.UTF8.GetBytes(address.ExportName);
        var query = Encoding.UTF8.GetBytes(NbdProtocol.AllocationContext);
        var data = new byte[4 + export.Length + 4 + 4 + query.Length];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)export.Length);
        export.CopyTo(data, 4);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4 + export.Length), 1);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8 + export.Length), (uint)query.Length);
        query.CopyTo(data, 12 + export.Length);
        await SendOptionAsync(NbdProtocol.OptSetMetaContext, data, ct);

        uint? id = null;
        while (true)
        {
            var reply = await ReadOptionReplyAsync(NbdProtocol.OptSetMetaContext, ct);
            if (reply.Type == NbdProtocol.RepMetaContext)
            {
                if (reply.Data.Length < 4)
                {
                    throw Fail("a meta context reply is shorter than its id");
                }

                var name = Encoding.UTF8.GetString(reply.Data.AsSpan(4));
                if (name == NbdProtocol.AllocationContext)
                {
                    id = BinaryPrimitives.ReadUInt32BigEndian(reply.Data);
                }

                continue;
            }

            // ACK ends the list; an error means "no meta contexts", which only costs us block status.
            return reply.Type == NbdProtocol.RepAck ? id : null;
        }
    }

    private async Task<(long Size, ushort Flags, NbdBlockSizes BlockSizes)?> GoAsync(CancellationToken ct)
    {
        var export = Encoding.UTF8.GetBytes(address.ExportName);
        var data = new byte[4 + export.Length + 2 + 2];
        BinaryPrimitives.WriteUInt32BigEndian(data, (uint)export.Length);
        export.CopyTo(data, 4);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4 + export.Length), 1);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(6 + export.Length), NbdProtocol.InfoBlockSize);
        await SendOptionAsync(NbdProtocol.OptGo, data, ct);

        long? size = null;
        ushort flags = 0;
        var blockSizes = NbdBlockSizes.Default;
        while (true)
        {
            var reply = await ReadOptionReplyAsync(NbdProtocol.OptGo, ct, allowErrors: true);
            if (reply.Type == NbdProtocol.RepErrUnsup)
            {
                return null;
            }

            if ((reply.Type & NbdProtocol.RepErrorBit) != 0)
            {
                throw Fail($"the server refused the export: {NbdErrors.DescribeOptionError(reply.Type)}{ServerMessage(reply.Data)}");
            }

            if (reply.Type == NbdProtocol.RepAck)
            {
                return size is { } known ? (known, flags, blockSizes) : throw Fail("the server ended NBD_OPT_GO without NBD_INFO_EXPORT");
            }

            if (reply.Type != NbdProtocol.RepInfo || reply.Data.Length < 2)
            {
                continue;
            }

            var info = BinaryPrimitives.ReadUInt16BigEndian(reply.Data);
            if (info == NbdProtocol.InfoExport)
            {
                if (reply.Data.Length != 12)
                {
                    throw Fail($"NBD_INFO_EXPORT has {reply.Data.Length} bytes, not 12");
                }

                size = (long)BinaryPrimitives.ReadUInt64BigEndian(reply.Data.AsSpan(2));
                flags = BinaryPrimitives.ReadUInt16BigEndian(reply.Data.AsSpan(10));
            }
            else if (info == NbdProtocol.InfoBlockSize)
            {
                if (reply.Data.Length != 14)
                {
                    throw Fail($"NBD_INFO_BLOCK_SIZE has {reply.Data.Length} bytes, not 14");
                }

                var minimum = ClampToInt(BinaryPrimitives.ReadUInt32BigEndian(reply.Data.AsSpan(2)));
                var preferred = ClampToInt(BinaryPrimitives.ReadUInt32BigEndian(reply.Data.AsSpan(6)));
                var maximum = BinaryPrimitives.ReadUInt32BigEndian(reply.Data.AsSpan(10));
                // Servers without a limit say 0xffffffff; we never send more than 1 GiB at once anyway.
                var usableMaximum = minimum > 0 ? (int)(Math.Min(maximum, 1u << 30) / (uint)minimum * (uint)minimum) : 0;
                var advertised = new NbdBlockSizes(minimum, preferred, usableMaximum);
                blockSizes = advertised.Problem() is { } problem ? throw Fail($"the server advertised unusable block sizes: {problem}") : advertised;
            }
        }
    }

    private async Task<(long Size, ushort Flags, NbdBlockSizes BlockSizes)> ExportNameAsync(CancellationToken ct)
    {
        await SendOptionAsync(NbdProtocol.OptExportName, Encoding.UTF8.GetBytes(address.ExportName), ct);
        var size = (long)await reader.ReadUInt64Async(ct);
        var flags = await reader.ReadUInt16Async(ct);
        if (!_noZeroes)
        {
            await reader.SkipAsync(124, ct);
        }

        return (size, flags, NbdBlockSizes.Default);
    }

    private async Task SendOptionAsync(uint option, byte[] data, CancellationToken ct)
    {
        var message = new byte[16 + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(message, NbdProtocol.OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)data.Length);
        data.CopyTo(message, 16);
        await SendAsync(message, ct);
    }

    private async Task<(uint Type, byte[] Data)> ReadOptionReplyAsync(uint option, CancellationToken ct, bool allowErrors = true)
    {
        var magic = await reader.ReadUInt64Async(ct);
        if (magic != NbdProtocol.OptionReplyMagic)
        {
            throw Fail($"an option reply has the wrong magic 0x{magic:x16}");
        }

        var echoed = await reader.ReadUInt32Async(ct);
        var type = await reader.ReadUInt32Async(ct);
        var length = await reader.ReadUInt32Async(ct);
        if (echoed != option)
        {
            throw Fail($"the server answered option {echoed} while option {option} was asked");
        }

        if (length > NbdProtocol.MaxControlPayload)
        {
            throw Fail($"an option reply claims {length} bytes");
        }

        var data = new byte[length];
        await reader.ReadExactAsync(data, ct);
        return !allowErrors && (type & NbdProtocol.RepErrorBit) != 0
            ? throw Fail($"option {option} failed: {NbdErrors.DescribeOptionError(type)}{ServerMessage(data)}")
            : (type, data);
    }

    private async Task SendAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, ct);
            data = data[sent..];
        }
    }

    private static string ServerMessage(byte[] data) =>
        data.Length == 0 ? "" : $" (server says: {Printable(Encoding.UTF8.GetString(data.AsSpan(0, Math.Min(data.Length, 512))))})";

    internal static string Printable(string text) => string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c)).Trim();

    private static int ClampToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    private NbdException Fail(string message) => new($"NBD export {address.Display}: handshake failed: {message}");
}
