namespace Migration.VmaAgent.Nbd;

/// <summary>What negotiation learnt about an export.</summary>
public sealed record NbdExportInfo(
    long Size,
    ushort TransmissionFlags,
    NbdBlockSizes BlockSizes,
    bool StructuredReplies,
    uint? AllocationContextId)
{
    public bool ReadOnly => (TransmissionFlags & NbdProtocol.TransmissionReadOnly) != 0;

    public bool CanFlush => (TransmissionFlags & NbdProtocol.TransmissionSendFlush) != 0;

    public bool CanTrim => (TransmissionFlags & NbdProtocol.TransmissionSendTrim) != 0;

    public bool CanWriteZeroes => (TransmissionFlags & NbdProtocol.TransmissionSendWriteZeroes) != 0;

    public bool CanMultiConn => (TransmissionFlags & NbdProtocol.TransmissionCanMultiConn) != 0;

    public bool CanBlockStatus => AllocationContextId is not null;
}

/// <summary>
/// The server's block-size constraints (<c>NBD_INFO_BLOCK_SIZE</c>), or the protocol's safe defaults when it gives
/// none: 512-byte alignment, 32 MiB payloads.
/// </summary>
public sealed record NbdBlockSizes(int Minimum, int Preferred, int MaximumPayload)
{
    public static readonly NbdBlockSizes Default = new(512, 4096, 32 << 20);

    /// <summary>Why these advertised values break the protocol's rules, or null.</summary>
    public string? Problem() =>
        Minimum < 1 || Minimum > 65536 || !IsPowerOfTwo(Minimum) ? $"minimum block size {Minimum} is not a power of two from 1 to 64 KiB"
        : Preferred < Minimum || !IsPowerOfTwo(Preferred) ? $"preferred block size {Preferred} is not a power of two ≥ the minimum"
        : MaximumPayload < Minimum || MaximumPayload % Minimum != 0 ? $"maximum payload {MaximumPayload} is not a multiple of the minimum {Minimum}"
        : null;

    private static bool IsPowerOfTwo(int value) => value > 0 && (value & (value - 1)) == 0;
}

/// <summary>One run of <c>base:allocation</c> block status: hole (unallocated) and/or zero (reads as zeros).</summary>
public readonly record struct NbdExtent(long Offset, long Length, bool Hole, bool Zero)
{
    public long End => Offset + Length;
}
