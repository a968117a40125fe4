using System.Diagnostics;
using Migration.VmaAgent.Nbd;

namespace Migration.Tests.Nbd;

/// <summary>A server that breaks the protocol: a clear error naming the export and the request, quickly, and the read buffer left alone.</summary>
public sealed class BrokenServerTests
{
    private static readonly NbdClientOptions Options = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(2),
        ConnectTimeout = TimeSpan.FromSeconds(2),
        ReconnectAttempts = 0,
    };

    [Theory]
    [InlineData(FakeNbdServer.Fault.WrongCookie, "cookie")]
    [InlineData(FakeNbdServer.Fault.WrongMagic, "wrong magic 0xdeadbeef")]
    [InlineData(FakeNbdServer.Fault.TruncatedReply, "dropped")]
    [InlineData(FakeNbdServer.Fault.Silence, "no reply within 2 s")]
    public async Task A_broken_reply_is_a_clear_error_and_never_a_hang(FakeNbdServer.Fault fault, string expected)
    {
        await using var server = new FakeNbdServer(fault);
        await using var client = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Uri), Options, TimeProvider.System, CancellationToken.None);
        var buffer = new byte[65536];
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAnyAsync<NbdException>(() => client.ReadAsync(4096, buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("nbd+unix:///fake?socket=", error.Message, StringComparison.Ordinal);
        Assert.Contains("READ at offset 4096, 65536 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        if (fault != FakeNbdServer.Fault.TruncatedReply)
        {
            Assert.True(buffer.AsSpan().IndexOfAnyExcept((byte)0) < 0);
        }

        // Later requests fail at once with the same cause instead of waiting.
        var again = await Assert.ThrowsAnyAsync<NbdException>(() => client.ReadAsync(0, buffer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("READ at offset 0", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_not_nbd_fails_the_handshake_with_a_timeout_or_a_clear_error()
    {
        var directory = NbdServer.NewDirectory();
        var path = Path.Combine(directory, "mute.sock");
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
        listener.Listen();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<NbdConnectionLostException>(() =>
            NbdClient.ConnectAsync(NbdAddress.Parse(new Uri($"nbd+unix:///x?socket={path}")), Options, TimeProvider.System, CancellationToken.None));

        Assert.Contains("no connection and handshake within 2 s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }
}
