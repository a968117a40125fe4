using Migration.VmaAgent.Nbd;

namespace Migration.Tests.Nbd;

/// <summary>Our NBD client against nbdkit and qemu-nbd: every command, both reply styles, several connections.</summary>
public sealed class NbdClientTests
{
    private static readonly NbdClientOptions Options = new() { RequestTimeout = TimeSpan.FromSeconds(10), ReconnectAttempts = 0 };

    [Theory]
    [InlineData("nbdkit")]
    [InlineData("qemu-nbd")]
    public async Task Every_command_works_against_a_real_server(string kind)
    {
        await using var server = kind == "nbdkit"
            ? await NbdServer.NbdkitAsync("memory", "size=8M")
            : await NbdServer.QemuNbdAsync(SparseImage(8 << 20));
        await using var client = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Uri), Options, TimeProvider.System, CancellationToken.None);

        Assert.Equal(8 << 20, client.Info.Size);
        Assert.True(client.Info.StructuredReplies);
        Assert.True(client.Info.CanBlockStatus);
        var data = new byte[256 * 1024];
        Random.Shared.NextBytes(data);
        await client.WriteAsync(1 << 20, data, CancellationToken.None);
        await client.WriteZeroesAsync(2 << 20, 1 << 20, noHole: false, CancellationToken.None);
        await client.FlushAsync(CancellationToken.None);

        var back = new byte[data.Length];
        await client.ReadAsync(1 << 20, back, CancellationToken.None);
        Assert.Equal(data, back);

        // A read across data and a hole: structured replies may answer in OFFSET_DATA and OFFSET_HOLE chunks.
        var across = new byte[2 << 20];
        Array.Fill(across, (byte)0xAA);
        await client.ReadAsync(0, across, CancellationToken.None);
        Assert.True(across.AsSpan(0, 1 << 20).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(data, across.AsSpan(1 << 20, data.Length).ToArray());
        Assert.True(across.AsSpan((1 << 20) + data.Length).IndexOfAnyExcept((byte)0) < 0);

        var map = await client.MapAsync(0, client.Info.Size, CancellationToken.None);
        Assert.Equal(0, map[0].Offset);
        Assert.Equal(client.Info.Size, map[^1].End);
        Assert.Contains(map, e => !e.Zero && e.Offset <= 1 << 20 && e.End >= (1 << 20) + data.Length);
        Assert.True(map.Where(e => e.End <= 1 << 20).All(e => e.Zero));

        if (client.Info.CanTrim)
        {
            await client.TrimAsync(1 << 20, 256 * 1024, CancellationToken.None);
        }
    }

    [Fact]
    public async Task Many_requests_in_flight_get_their_own_data_back()
    {
        await using var server = await NbdServer.NbdkitAsync("memory", "size=64M");
        await using var client = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Uri), Options, TimeProvider.System, CancellationToken.None);
        Assert.True(client.Info.CanMultiConn);
        Assert.Equal(4, client.ConnectionCount);

        const int blocks = 256;
        const int size = 64 * 1024;
        await Task.WhenAll(Enumerable.Range(0, blocks).Select(i => client.WriteAsync((long)i * size, Block(i, size), CancellationToken.None)));
        var reads = await Task.WhenAll(Enumerable.Range(0, blocks).Select(async i =>
        {
            var buffer = new byte[size];
            await client.ReadAsync((long)i * size, buffer, CancellationToken.None);
            return buffer;
        }));

        for (var i = 0; i < blocks; i++)
        {
            Assert.Equal(Block(i, size), reads[i]);
        }
    }

    [Fact]
    public async Task A_tcp_export_and_the_export_name_fallback_work()
    {
        await using var server = await NbdServer.NbdkitTcpAsync("--mask-handshake=0xff", "memory", "size=1M");
        await using var client = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Uri), Options, TimeProvider.System, CancellationToken.None);
        Assert.Equal(1 << 20, client.Info.Size);
        await client.WriteAsync(0, Block(3, 4096), CancellationToken.None);
        var back = new byte[4096];
        await client.ReadAsync(0, back, CancellationToken.None);
        Assert.Equal(Block(3, 4096), back);
    }

    [Fact]
    public async Task A_request_outside_the_advertised_block_sizes_is_refused_before_it_is_sent()
    {
        await using var server = await NbdServer.NbdkitAsync(
            "--filter=blocksize-policy", "memory", "size=1M",
            "blocksize-minimum=4096", "blocksize-preferred=65536", "blocksize-maximum=131072", "blocksize-error-policy=error");
        await using var client = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Uri), Options, TimeProvider.System, CancellationToken.None);
        Assert.Equal(new NbdBlockSizes(4096, 65536, 131072), client.Info.BlockSizes);

        await Assert.ThrowsAsync<ArgumentException>(() => client.ReadAsync(512, new byte[4096], CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => client.ReadAsync(0, new byte[262144], CancellationToken.None));
        var ok = new byte[131072];
        await client.ReadAsync(0, ok, CancellationToken.None);
    }

    [Fact]
    public async Task A_server_error_names_the_export_and_the_request()
    {
        await using var server = await NbdServer.NbdkitAsync("--filter=error", "memory", "size=1M", "error=ENOSPC", "error-pwrite-rate=100%");
        await using var client = await NbdClient.ConnectAsync(NbdAddress.Parse(server.Uri), Options, TimeProvider.System, CancellationToken.None);

        var error = await Assert.ThrowsAsync<NbdServerErrorException>(() => client.WriteAsync(65536, new byte[4096], CancellationToken.None));
        Assert.Contains(server.Uri.ToString().TrimEnd('/'), error.Message.Replace("nbd+unix:///?", "nbd+unix:///?", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("WRITE at offset 65536, 4096 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("ENOSPC", error.Message, StringComparison.Ordinal);

        // The connection survives a server error.
        await client.ReadAsync(0, new byte[4096], CancellationToken.None);
    }

    [Fact]
    public async Task A_missing_server_is_a_clear_error()
    {
        var directory = NbdServer.NewDirectory();
        var uri = new Uri($"nbd+unix:///disk?socket={directory}/none.sock");
        var error = await Assert.ThrowsAsync<NbdConnectionLostException>(() => NbdClient.ConnectAsync(NbdAddress.Parse(uri), Options, TimeProvider.System, CancellationToken.None));
        Assert.Contains("cannot connect", error.Message, StringComparison.Ordinal);
        Assert.Contains("none.sock", error.Message, StringComparison.Ordinal);
    }

    internal static byte[] Block(int seed, int size)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string SparseImage(long size)
    {
        var path = Path.Combine(NbdServer.NewDirectory(), "disk.img");
        using var file = File.Create(path);
        file.SetLength(size);
        return path;
    }
}
