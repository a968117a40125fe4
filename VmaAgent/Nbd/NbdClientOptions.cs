namespace Migration.VmaAgent.Nbd;

/// <summary>How an NBD client connects and how long it waits (section <c>Vma:Nbd</c>).</summary>
public sealed class NbdClientOptions
{
    /// <summary>Connecting plus the whole handshake. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for the reply to one request; past it the connection is dropped as dead. Default 60 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Connections per export, used only when the server advertises CAN_MULTI_CONN. Default 4 (nbdcopy's).</summary>
    public int Connections { get; set; } = 4;

    /// <summary>After a dropped connection, how many times to connect again before the transfer fails. Default 5.</summary>
    public int ReconnectAttempts { get; set; } = 5;

    /// <summary>Pause before each reconnect attempt (doubling each time). Default 500 ms.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// One read, write or zero write in this many is timed into <c>vma_nbd_call_duration_seconds</c> (with its outcome;
    /// flushes, trims and block status always are); 1 times every request. Default 16.
    /// </summary>
    public int LatencySampleEvery { get; set; } = 16;

    /// <summary>Zero writes keep the target allocated (<c>NO_HOLE</c>): for thick-provisioned volumes. Default false.</summary>
    public bool WriteZeroesNoHole { get; set; }
}
