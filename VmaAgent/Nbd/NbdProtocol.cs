namespace Migration.VmaAgent.Nbd;

/// <summary>Numbers of the NBD protocol (fixed newstyle negotiation, simple and structured replies).</summary>
internal static class NbdProtocol
{
    public const ulong NbdMagic = 0x4e42444d41474943UL; // "NBDMAGIC"
    public const ulong OptionMagic = 0x49484156454F5054UL; // "IHAVEOPT"
    public const ulong OldstyleMagic = 0x0000420281861253UL;
    public const ulong OptionReplyMagic = 0x0003e889045565a9UL;
    public const uint RequestMagic = 0x25609513;
    public const uint SimpleReplyMagic = 0x67446698;
    public const uint StructuredReplyMagic = 0x668e33ef;

    public const ushort FlagFixedNewstyle = 1;
    public const ushort FlagNoZeroes = 2;

    public const uint OptExportName = 1;
    public const uint OptAbort = 2;
    public const uint OptGo = 7;
    public const uint OptStructuredReply = 8;
    public const uint OptSetMetaContext = 10;

    public const uint RepAck = 1;
    public const uint RepInfo = 3;
    public const uint RepMetaContext = 4;
    public const uint RepErrorBit = 0x80000000;
    public const uint RepErrUnsup = RepErrorBit | 1;

    public const ushort InfoExport = 0;
    public const ushort InfoBlockSize = 3;

    public const ushort TransmissionHasFlags = 1;
    public const ushort TransmissionReadOnly = 2;
    public const ushort TransmissionSendFlush = 4;
    public const ushort TransmissionSendTrim = 32;
    public const ushort TransmissionSendWriteZeroes = 64;
    public const ushort TransmissionCanMultiConn = 256;

    public const ushort CmdFlagNoHole = 2;

    public const ushort ReplyFlagDone = 1;
    public const ushort ChunkNone = 0;
    public const ushort ChunkOffsetData = 1;
    public const ushort ChunkOffsetHole = 2;
    public const ushort ChunkBlockStatus = 5;
    public const ushort ChunkErrorBit = 0x8000;
    public const ushort ChunkErrorOffset = ChunkErrorBit | 2;

    public const uint StateHole = 1;
    public const uint StateZero = 2;

    public const string AllocationContext = "base:allocation";

    public const int RequestHeaderSize = 28;

    /// <summary>Longest option reply or non-data chunk we accept: a hostile server must not make us allocate gigabytes.</summary>
    public const int MaxControlPayload = 1 << 20;
}

/// <summary>Transmission-phase commands.</summary>
public enum NbdCommand : ushort
{
    Read = 0,
    Write = 1,
    Disconnect = 2,
    Flush = 3,
    Trim = 4,
    WriteZeroes = 6,
    BlockStatus = 7,
}
