namespace Migration.VmaAgent.Nbd;

/// <summary>Something went wrong talking to an export; the message names the export and, when there was one, the request.</summary>
public class NbdException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The server answered a request with an error (errno value and, from structured replies, its message).</summary>
public sealed class NbdServerErrorException(string message, uint errno) : NbdException(message)
{
    public uint Errno { get; } = errno;
}

/// <summary>
/// The connection is gone or unusable (dropped, timed out, or the server broke the protocol). Requests in flight
/// on it failed; a new connection may succeed.
/// </summary>
public sealed class NbdConnectionLostException(string message, Exception? inner = null) : NbdException(message, inner);

/// <summary>The server broke the protocol (wrong magic, unknown cookie, malformed or out-of-range reply); the connection was closed.</summary>
public sealed class NbdProtocolException(string message, Exception? inner = null) : NbdException(message, inner);
