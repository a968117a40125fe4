namespace Migration.VmaAgent.Nbd;

/// <summary>
/// One request in flight, found by its cookie when its reply arrives. For a read it owns the destination buffer
/// until it completes, and it tracks which bytes structured chunks have filled so that a reply that misses or
/// repeats bytes is caught rather than leaving stale data in the buffer.
/// </summary>
internal sealed class NbdPendingRequest(NbdCommand command, ushort flags, long offset, long length, ReadOnlyMemory<byte> payload,
    Memory<byte> readBuffer, long deadline)
{
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<(long Start, long End)>? _filled;

    public ushort Flags { get; } = flags;

    /// <summary>A write's data, sent by the connection's writer loop right after the header.</summary>
    public ReadOnlyMemory<byte> Payload { get; } = payload;

    /// <summary>The <see cref="TimeProvider"/> timestamp after which the connection's watchdog gives up on the reply.</summary>
    public long Deadline { get; } = deadline;

    public ulong Cookie { get; set; }

    public NbdCommand Command { get; } = command;

    public long Offset { get; } = offset;

    public long Length { get; } = length;

    public Memory<byte> ReadBuffer { get; } = readBuffer;

    public Task Completion => _completion.Task;

    /// <summary>The first error chunk's error; later chunks still arrive until DONE.</summary>
    public NbdServerErrorException? Error { get; set; }

    public List<NbdExtent>? Extents { get; set; }

    public long FilledBytes { get; private set; }

    /// <summary>Records that [start, end) of the request has been filled; false when it overlaps a range filled before.</summary>
    public bool MarkFilled(long start, long end)
    {
        _filled ??= [];
        foreach (var (s, e) in _filled)
        {
            if (start < e && s < end)
            {
                return false;
            }
        }

        _filled.Add((start, end));
        FilledBytes += end - start;
        return true;
    }

    public string Describe(NbdAddress address) => Command switch
    {
        NbdCommand.Flush or NbdCommand.Disconnect => $"NBD export {address.Display}: {Name(Command)}",
        _ => $"NBD export {address.Display}: {Name(Command)} at offset {Offset}, {Length} bytes",
    };

    public void Succeed() => _completion.TrySetResult();

    public void Fail(Exception error) => _completion.TrySetException(error);

    public static string Name(NbdCommand command) => command switch
    {
        NbdCommand.Read => "READ",
        NbdCommand.Write => "WRITE",
        NbdCommand.Disconnect => "DISC",
        NbdCommand.Flush => "FLUSH",
        NbdCommand.Trim => "TRIM",
        NbdCommand.WriteZeroes => "WRITE_ZEROES",
        NbdCommand.BlockStatus => "BLOCK_STATUS",
        _ => command.ToString(),
    };
}
